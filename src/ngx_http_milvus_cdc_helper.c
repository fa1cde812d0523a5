
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The helper process: nginx's "cache manager" process, spawned for the
 * ngx_path_t of the task store.  Each tick reads the task store and holds
 * a lease on every Running task it runs, so that two helpers (the old and
 * the new one during a reload, or two masters during a binary upgrade)
 * never run the same task, and on every Paused one, whose target pchannels
 * its standby keeps ticking (standby.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_engine.h"
#include "ngx_http_milvus_cdc_helper.h"
#include "ngx_http_milvus_cdc_standby.h"
#include "ngx_http_milvus_cdc_store.h"


/* how long a stopping engine may wait for its calls in flight, in ms */
#define NGX_HTTP_MILVUS_CDC_STOP_GRACE    5000

/* how much of a tick the engines may use, in ms */
#define NGX_HTTP_MILVUS_CDC_SLICE         50

/*
 * how often the task list is read and leases are checked, in ms: the
 * control plane, while engines run every 1-5 ms tick
 */
#define NGX_HTTP_MILVUS_CDC_CONTROL       100


/* a task this process runs */
typedef struct {
    ngx_str_t                       task_id;
    uint64_t                        renew_at;
    ngx_http_milvus_cdc_engine_t   *engine;    /* Running */
    ngx_http_milvus_cdc_standby_t  *standby;   /* Paused, or NULL */
    ngx_uint_t                      paused;    /* held for a Paused task */
    const char                     *why;       /* set: stopping */
} ngx_http_milvus_cdc_owned_t;


static ngx_msec_t ngx_http_milvus_cdc_helper_tick(void *data);
static ngx_int_t ngx_http_milvus_cdc_helper_init(
    ngx_http_milvus_cdc_main_conf_t *mcf, ngx_log_t *log);
static ngx_uint_t ngx_http_milvus_cdc_helper_leases(
    ngx_http_milvus_cdc_main_conf_t *mcf, ngx_array_t *tasks, ngx_log_t *log);
static ngx_uint_t ngx_http_milvus_cdc_helper_run(ngx_log_t *log);
static ngx_http_milvus_cdc_owned_t *ngx_http_milvus_cdc_helper_owned(
    ngx_str_t *task_id);
static void ngx_http_milvus_cdc_helper_stop(ngx_uint_t i, const char *why,
    ngx_log_t *log);
static void ngx_http_milvus_cdc_helper_timer(ngx_event_t *ev);
static void ngx_http_milvus_cdc_helper_atexit(void);


static ngx_uint_t                    ngx_http_milvus_cdc_helper_ready;
static ngx_msec_t                    ngx_http_milvus_cdc_helper_listed;
static ngx_http_milvus_cdc_store_t   ngx_http_milvus_cdc_helper_store;
static ngx_array_t                   ngx_http_milvus_cdc_helper_tasks;
static ngx_str_t                     ngx_http_milvus_cdc_helper_owner;
static u_char                        ngx_http_milvus_cdc_helper_owner_buf[
                                         NGX_INT64_LEN * 2 + 2];
static ngx_event_t                   ngx_http_milvus_cdc_helper_event;
static ngx_http_milvus_cdc_main_conf_t  *ngx_http_milvus_cdc_helper_mcf;

/* ev->data of the timer: nginx's debug logging reads an fd from it */
static ngx_connection_t              ngx_http_milvus_cdc_helper_dummy;


ngx_int_t
ngx_http_milvus_cdc_helper_add_path(ngx_conf_t *cf,
    ngx_http_milvus_cdc_main_conf_t *mcf)
{
    ngx_path_t  *path;

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_ERROR;
    }

    path->name = mcf->store;
    path->manager = ngx_http_milvus_cdc_helper_tick;
    path->data = mcf;
    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_ERROR;
    }

    mcf->path = path;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_helper_start_timer(ngx_cycle_t *cycle,
    ngx_http_milvus_cdc_main_conf_t *mcf)
{
    ngx_event_t  *ev;

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "milvus_cdc: no helper process with \"master_process off\","
                  " replication runs from a timer of this process");

    ev = &ngx_http_milvus_cdc_helper_event;

    ngx_http_milvus_cdc_helper_mcf = mcf;
    ngx_http_milvus_cdc_helper_dummy.fd = (ngx_socket_t) -1;

    ev->handler = ngx_http_milvus_cdc_helper_timer;
    ev->data = &ngx_http_milvus_cdc_helper_dummy;
    ev->log = cycle->log;
    ev->cancelable = 1;

    ngx_add_timer(ev, 1);

    return NGX_OK;
}


void
ngx_http_milvus_cdc_helper_exit(void)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_owned_t  *owned;

    if (!ngx_http_milvus_cdc_helper_ready) {
        return;
    }

    ngx_http_milvus_cdc_helper_ready = 0;

    owned = ngx_http_milvus_cdc_helper_tasks.elts;

    for (i = 0; i < ngx_http_milvus_cdc_helper_tasks.nelts; i++) {

        /* before its lease is given back: nothing runs it any more */

        if (owned[i].engine) {
            ngx_http_milvus_cdc_engine_destroy(owned[i].engine);
            owned[i].engine = NULL;
        }

        if (owned[i].standby) {
            ngx_http_milvus_cdc_standby_destroy(owned[i].standby);
            owned[i].standby = NULL;
        }

        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "milvus_cdc: task %V: stopped in process %P (exiting)",
                      &owned[i].task_id, ngx_pid);
    }

    (void) ngx_http_milvus_cdc_store_release(&ngx_http_milvus_cdc_helper_store,
                                             NULL,
                                             &ngx_http_milvus_cdc_helper_owner);

    ngx_http_milvus_cdc_store_close(&ngx_http_milvus_cdc_helper_store);
}


/*
 * The manager callback: one bounded slice of work, then the delay until
 * the next one, in milliseconds.
 */

static ngx_msec_t
ngx_http_milvus_cdc_helper_tick(void *data)
{
    ngx_http_milvus_cdc_main_conf_t *mcf = data;

    ngx_log_t    *log;
    ngx_uint_t    busy;
    ngx_pool_t   *pool;
    ngx_array_t  *tasks;

    log = ngx_cycle->log;

    if (!ngx_http_milvus_cdc_helper_ready
        && ngx_http_milvus_cdc_helper_init(mcf, log) != NGX_OK)
    {
        return 5000;
    }

    busy = 0;

    if (ngx_current_msec - ngx_http_milvus_cdc_helper_listed
        >= NGX_HTTP_MILVUS_CDC_CONTROL
        || ngx_http_milvus_cdc_helper_listed == 0)
    {
        ngx_http_milvus_cdc_helper_listed = ngx_current_msec;

        pool = ngx_create_pool(4096, log);
        if (pool == NULL) {
            return 1000;
        }

        if (ngx_http_milvus_cdc_store_list(&ngx_http_milvus_cdc_helper_store,
                                           pool, &tasks)
            == NGX_OK)
        {
            busy = ngx_http_milvus_cdc_helper_leases(mcf, tasks, log);
        }

        ngx_destroy_pool(pool);
    }

    busy |= ngx_http_milvus_cdc_helper_run(log);

    /* running engines wait for the network: come back soon */

    if (busy) {
        return 1;
    }

    return ngx_http_milvus_cdc_helper_tasks.nelts ? 5
                                                  : NGX_HTTP_MILVUS_CDC_TICK;
}


static ngx_int_t
ngx_http_milvus_cdc_helper_init(ngx_http_milvus_cdc_main_conf_t *mcf,
    ngx_log_t *log)
{
    if (ngx_http_milvus_cdc_store_open(&ngx_http_milvus_cdc_helper_store,
                                       &mcf->store, 200, log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_array_init(&ngx_http_milvus_cdc_helper_tasks, ngx_cycle->pool, 8,
                       sizeof(ngx_http_milvus_cdc_owned_t))
        != NGX_OK)
    {
        ngx_http_milvus_cdc_store_close(&ngx_http_milvus_cdc_helper_store);
        return NGX_ERROR;
    }

    /* the owner of leases: this process, distinct from a later one */

    ngx_http_milvus_cdc_helper_owner.data =
                                          ngx_http_milvus_cdc_helper_owner_buf;
    ngx_http_milvus_cdc_helper_owner.len =
        ngx_sprintf(ngx_http_milvus_cdc_helper_owner_buf, "%P.%uL", ngx_pid,
                    ngx_http_milvus_cdc_store_now())
        - ngx_http_milvus_cdc_helper_owner_buf;

    if (ngx_process == NGX_PROCESS_HELPER) {
        ngx_setproctitle("milvus cdc helper process");

        /* nginx ends its helper with exit(), never with exit_process */

        if (atexit(ngx_http_milvus_cdc_helper_atexit) != 0) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno, "atexit() failed");
        }
    }

    ngx_http_milvus_cdc_helper_ready = 1;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "milvus_cdc: helper started in process %P, task store "
                  "\"%V\"", ngx_pid, &mcf->store);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_milvus_cdc_helper_leases(ngx_http_milvus_cdc_main_conf_t *mcf,
    ngx_array_t *tasks, ngx_log_t *log)
{
    uint64_t                      now;
    ngx_int_t                     rc, prev;
    ngx_str_t                     reason;
    ngx_pid_t                     holder;
    ngx_uint_t                    i, j;
    ngx_http_milvus_cdc_task_t   *task;
    ngx_http_milvus_cdc_owned_t  *owned, *o;

    task = tasks->elts;

    /* stop what was paused or deleted */

    i = 0;

    while (i < ngx_http_milvus_cdc_helper_tasks.nelts) {
        owned = ngx_http_milvus_cdc_helper_tasks.elts;

        if (owned[i].why) {
            /* already stopping */
            i++;
            continue;
        }

        for (j = 0; j < tasks->nelts; j++) {
            if (task[j].task_id.len == owned[i].task_id.len
                && ngx_strncmp(task[j].task_id.data, owned[i].task_id.data,
                               task[j].task_id.len) == 0)
            {
                break;
            }
        }

        if (j == tasks->nelts) {
            owned[i].why = "deleted";

        } else if (owned[i].paused) {
            if (task[j].state != NGX_HTTP_MILVUS_CDC_PAUSED) {
                owned[i].why = "resumed";
            }

        } else if (task[j].state != NGX_HTTP_MILVUS_CDC_RUNNING) {
            owned[i].why = "paused";
        }

        i++;
    }

    /* take or renew the lease of every running or paused task */

    now = ngx_http_milvus_cdc_store_now();

    for (j = 0; j < tasks->nelts; j++) {

        if (task[j].state != NGX_HTTP_MILVUS_CDC_RUNNING
            && task[j].state != NGX_HTTP_MILVUS_CDC_PAUSED)
        {
            continue;
        }

        o = ngx_http_milvus_cdc_helper_owned(&task[j].task_id);

        if (o && (o->why || now < o->renew_at)) {
            continue;
        }

        rc = ngx_http_milvus_cdc_store_lease(&ngx_http_milvus_cdc_helper_store,
                                             &task[j].task_id,
                                             &ngx_http_milvus_cdc_helper_owner,
                                             ngx_pid,
                                             NGX_HTTP_MILVUS_CDC_LEASE_TTL,
                                             &holder);

        if (rc == NGX_OK) {
            if (o == NULL) {
                o = ngx_array_push(&ngx_http_milvus_cdc_helper_tasks);
                if (o == NULL) {
                    return 0;
                }

                o->task_id.data = ngx_alloc(task[j].task_id.len, log);
                if (o->task_id.data == NULL) {
                    ngx_http_milvus_cdc_helper_tasks.nelts--;
                    return 0;
                }

                ngx_memcpy(o->task_id.data, task[j].task_id.data,
                           task[j].task_id.len);
                o->task_id.len = task[j].task_id.len;
                o->why = NULL;
                o->engine = NULL;
                o->standby = NULL;
                o->paused = (task[j].state == NGX_HTTP_MILVUS_CDC_PAUSED);

                if (o->paused) {
                    /* NULL (logged): the lease is held all the same */
                    o->standby = ngx_http_milvus_cdc_standby_create(&task[j],
                                        &ngx_http_milvus_cdc_helper_store,
                                        log);
                    o->renew_at = now + NGX_HTTP_MILVUS_CDC_LEASE_RENEW;
                    continue;
                }

                o->engine = ngx_http_milvus_cdc_engine_create(&task[j], mcf,
                                        &ngx_http_milvus_cdc_helper_store, log);

                if (o->engine == NULL) {
                    /* never Running without an engine: paused, said why */

                    ngx_str_set(&reason, "the helper process could not "
                                "start the task's engine (out of memory)");

                    ngx_log_error(NGX_LOG_ERR, log, 0,
                                  "milvus_cdc: task %V: paused: %V",
                                  &o->task_id, &reason);

                    (void) ngx_http_milvus_cdc_store_set_state(
                                        &ngx_http_milvus_cdc_helper_store,
                                        &o->task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_PAUSED, &reason,
                                        &prev);
                    o->why = "failed";
                    continue;
                }

                ngx_log_error(NGX_LOG_NOTICE, log, 0,
                              "milvus_cdc: task %V: started in process %P",
                              &o->task_id, ngx_pid);
            }

            o->renew_at = now + NGX_HTTP_MILVUS_CDC_LEASE_RENEW;
            continue;
        }

        if (rc == NGX_DECLINED && o) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "milvus_cdc: task %V: the lease went to process %P",
                          &o->task_id, holder);

            o->why = "lease lost";
            continue;
        }

        if (rc == NGX_DECLINED && holder) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                           "milvus_cdc: task %V: leased by process %P",
                           &task[j].task_id, holder);
        }
    }

    return 0;
}


/*
 * A slice for every engine; engines asked to stop are drained, then
 * destroyed and their leases given back.  Returns 1 if an engine has more
 * to do at once.
 */

static ngx_uint_t
ngx_http_milvus_cdc_helper_run(ngx_log_t *log)
{
    ngx_int_t                     rc;
    ngx_uint_t                    i, busy;
    ngx_http_milvus_cdc_owned_t  *owned;

    busy = 0;
    i = 0;

    while (i < ngx_http_milvus_cdc_helper_tasks.nelts) {
        owned = ngx_http_milvus_cdc_helper_tasks.elts;

        if (owned[i].engine == NULL) {
            if (owned[i].standby && owned[i].why) {
                ngx_http_milvus_cdc_standby_destroy(owned[i].standby);
                owned[i].standby = NULL;

            } else if (owned[i].standby) {
                ngx_http_milvus_cdc_standby_run(owned[i].standby);
            }

            if (owned[i].why) {
                ngx_http_milvus_cdc_helper_stop(i, owned[i].why, log);
                continue;
            }

            i++;
            continue;
        }

        if (owned[i].why) {
            rc = ngx_http_milvus_cdc_engine_stop(owned[i].engine,
                                            NGX_HTTP_MILVUS_CDC_STOP_GRACE);
            if (rc == NGX_AGAIN) {
                i++;
                continue;
            }

            ngx_http_milvus_cdc_engine_destroy(owned[i].engine);
            owned[i].engine = NULL;
            ngx_http_milvus_cdc_helper_stop(i, owned[i].why, log);
            continue;
        }

        rc = ngx_http_milvus_cdc_engine_run(owned[i].engine,
                                            NGX_HTTP_MILVUS_CDC_SLICE);
        ngx_time_update();

        if (rc == NGX_ABORT) {
            /* the engine paused its task with a reason */
            owned[i].why = "failed";
            continue;
        }

        if (rc == NGX_AGAIN) {
            busy = 1;
        }

        i++;
    }

    return busy;
}


static ngx_http_milvus_cdc_owned_t *
ngx_http_milvus_cdc_helper_owned(ngx_str_t *task_id)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_owned_t  *owned;

    owned = ngx_http_milvus_cdc_helper_tasks.elts;

    for (i = 0; i < ngx_http_milvus_cdc_helper_tasks.nelts; i++) {
        if (owned[i].task_id.len == task_id->len
            && ngx_strncmp(owned[i].task_id.data, task_id->data, task_id->len)
               == 0)
        {
            return &owned[i];
        }
    }

    return NULL;
}


/* stops running task i and gives its lease back */

static void
ngx_http_milvus_cdc_helper_stop(ngx_uint_t i, const char *why, ngx_log_t *log)
{
    ngx_http_milvus_cdc_owned_t  *owned;

    owned = ngx_http_milvus_cdc_helper_tasks.elts;

    if (owned[i].paused) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "milvus_cdc: task %V: the Paused task's lease given "
                      "back by process %P (%s)", &owned[i].task_id, ngx_pid,
                      why);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "milvus_cdc: task %V: stopped in process %P (%s)",
                      &owned[i].task_id, ngx_pid, why);
    }

    (void) ngx_http_milvus_cdc_store_release(&ngx_http_milvus_cdc_helper_store,
                                             &owned[i].task_id,
                                             &ngx_http_milvus_cdc_helper_owner);

    ngx_free(owned[i].task_id.data);

    owned[i] = owned[ngx_http_milvus_cdc_helper_tasks.nelts - 1];
    ngx_http_milvus_cdc_helper_tasks.nelts--;
}


static void
ngx_http_milvus_cdc_helper_timer(ngx_event_t *ev)
{
    ngx_msec_t  delay;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    delay = ngx_http_milvus_cdc_helper_tick(ngx_http_milvus_cdc_helper_mcf);

    ngx_add_timer(ev, delay);
}


static void
ngx_http_milvus_cdc_helper_atexit(void)
{
    ngx_http_milvus_cdc_helper_exit();
}
