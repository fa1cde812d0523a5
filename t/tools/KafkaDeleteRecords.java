// Drops the records of Kafka topics (partition 0) below their current end,
// as retention would: the bench's way to make a source Milvus's log no
// longer hold old positions.  Runs as a single-file program on the Kafka
// jars the bench fetched:
//
//   java -cp 'work/cache/kafka-3.7.1/libs/*' t/tools/KafkaDeleteRecords.java \
//        127.0.0.1:29192 topic...
//
// Prints "<topic> <low watermark after>" per topic; exits 1 on any error.

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;

public class KafkaDeleteRecords {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: KafkaDeleteRecords BROKERS TOPIC...");
            System.exit(2);
        }

        /* the client's own log (reload4j) stays quiet */
        org.apache.log4j.BasicConfigurator.configure(
            new org.apache.log4j.varia.NullAppender());

        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);

        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            for (int i = 1; i < args.length; i++) {
                ask.put(new TopicPartition(args[i], 0), OffsetSpec.latest());
            }

            Map<TopicPartition, ListOffsetsResultInfo> ends =
                admin.listOffsets(ask).all().get();

            Map<TopicPartition, RecordsToDelete> del = new HashMap<>();
            for (Map.Entry<TopicPartition, ListOffsetsResultInfo> e
                     : ends.entrySet()) {
                del.put(e.getKey(),
                        RecordsToDelete.beforeOffset(e.getValue().offset()));
            }

            var lows = admin.deleteRecords(del).lowWatermarks();
            for (int i = 1; i < args.length; i++) {
                TopicPartition tp = new TopicPartition(args[i], 0);
                System.out.println(args[i] + " "
                                   + lows.get(tp).get().lowWatermark());
            }
        }
    }
}
