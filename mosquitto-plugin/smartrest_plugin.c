/* A mosquitto 2.0 plugin (plugin API v5) that validates SmartREST publishes
 * on their way in, with the C validator of smartrest (csrc/validate.c):
 * the packet size limit, the dialect, and on the upstream static topics
 * the template of every row.  See README.md beside this file.
 *
 * Options (plugin_opt_<name> in mosquitto.conf):
 *   topics       MQTT filters of the publishes to check, separated by
 *                spaces or commas (default: the upstream static topics).
 *   action       reject (default): drop the publish; log: log it and let
 *                it pass.
 *   error_topic  a topic on which the offending client alone gets an
 *                error line "<code>,<template id>,<reason>" (40 for an
 *                unknown template, 41 for every other problem).
 *   limit        the packet size limit in bytes (default 16184), or none.
 *   strict       true: bytes after a closing quote are an error (default
 *                false, as decode_messages).
 * Publishes the validator cannot decide (SR_V_SLOW) pass. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "smartrest.h"

#define DEFAULT_TOPICS "s/us s/us/+ t/us t/us/+ q/us q/us/+ c/us c/us/+"
#define DEFAULT_LIMIT 16184u
#define SEPARATORS " ,\t"

typedef struct {
    mosquitto_plugin_id_t *id;
    char *filters;     /* the filters, NUL-separated */
    char **filter;     /* pointers into filters */
    int nfilters;
    int reject;
    char *error_topic; /* NULL: none */
    uint64_t limit;
    int strict;
    unsigned long checked;
    unsigned long rejected;
} config;

static int matches(const config *c, const char *topic)
{
    int i;
    bool result;
    for (i = 0; i < c->nfilters; i++)
        if (mosquitto_topic_matches_sub(c->filter[i], topic, &result) == MOSQ_ERR_SUCCESS &&
            result)
            return 1;
    return 0;
}

/* "<reason> at byte N (row R[, field F])" into buf. */
static void describe(const sr_problem *p, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s at byte %" PRIu64 " (row %" PRIu64,
                     sr_validate_reason(p->code), p->offset, p->row);
    if (n > 0 && (size_t)n < size && p->field >= 0)
        n += snprintf(buf + n, size - (size_t)n, ", field %" PRId64, p->field);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ")");
}

static void send_error_line(const config *c, const char *client_id, const sr_problem *p,
                            const char *what)
{
    char line[320];
    int n;
    if (c->error_topic == NULL || client_id == NULL)
        return;
    if (p->template_id >= 0)
        n = snprintf(line, sizeof line, "%d,%" PRId64 ",%s",
                     p->code == SR_V_UNKNOWN_TEMPLATE ? 40 : 41, p->template_id, what);
    else
        n = snprintf(line, sizeof line, "%d,,%s", p->code == SR_V_UNKNOWN_TEMPLATE ? 40 : 41,
                     what);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    mosquitto_broker_publish_copy(client_id, c->error_topic, n, line, 0, false, NULL);
}

static int on_message(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_message *ed = event_data;
    config *c = userdata;
    sr_problem p;
    char what[256];
    const char *client_id;
    int code;
    (void)event;
    if (ed->topic == NULL || !matches(c, ed->topic))
        return MOSQ_ERR_SUCCESS;
    c->checked++;
    code = sr_validate((const unsigned char *)ed->payload, ed->payloadlen,
                       (const unsigned char *)ed->topic, strlen(ed->topic), ed->qos, c->limit,
                       c->strict, &p);
    if (code == SR_V_OK || code == SR_V_SLOW)
        return MOSQ_ERR_SUCCESS;
    c->rejected++;
    client_id = mosquitto_client_id(ed->client);
    describe(&p, what, sizeof what);
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "smartrest: %s publish from client %s on %s: %s; template %" PRId64
                         "; %lu of %lu checked publishes invalid",
                         c->reject ? "rejected" : "invalid (passed)",
                         client_id ? client_id : "(none)", ed->topic, what, p.template_id,
                         c->rejected, c->checked);
    send_error_line(c, client_id, &p, what);
    /* MOSQ_ERR_ACL_DENIED drops the publish (a v5 client gets "not
     * authorized" in its acknowledgement). */
    return c->reject ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
}

static int set_topics(config *c, const char *text)
{
    size_t n = strlen(text);
    char *s, *tok, *save = NULL;
    int count = 0;
    free(c->filters);
    free(c->filter);
    c->filters = malloc(n + 1);
    c->filter = malloc((n / 2 + 1) * sizeof(char *));
    if (c->filters == NULL || c->filter == NULL)
        return MOSQ_ERR_NOMEM;
    memcpy(c->filters, text, n + 1);
    for (s = c->filters; (tok = strtok_r(s, SEPARATORS, &save)) != NULL; s = NULL) {
        if (mosquitto_sub_topic_check(tok) != MOSQ_ERR_SUCCESS) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "smartrest: invalid topic filter %s", tok);
            return MOSQ_ERR_INVAL;
        }
        c->filter[count++] = tok;
    }
    c->nfilters = count;
    return MOSQ_ERR_SUCCESS;
}

static int set_option(config *c, const char *key, const char *value)
{
    char *end;
    if (!strcmp(key, "topics"))
        return set_topics(c, value);
    if (!strcmp(key, "action")) {
        if (strcmp(value, "reject") && strcmp(value, "log"))
            return MOSQ_ERR_INVAL;
        c->reject = !strcmp(value, "reject");
        return MOSQ_ERR_SUCCESS;
    }
    if (!strcmp(key, "error_topic")) {
        free(c->error_topic);
        c->error_topic = NULL;
        if (*value && mosquitto_pub_topic_check(value) != MOSQ_ERR_SUCCESS)
            return MOSQ_ERR_INVAL;
        if (*value && (c->error_topic = strdup(value)) == NULL)
            return MOSQ_ERR_NOMEM;
        return MOSQ_ERR_SUCCESS;
    }
    if (!strcmp(key, "limit")) {
        if (!strcmp(value, "none")) {
            c->limit = SR_NO_LIMIT;
            return MOSQ_ERR_SUCCESS;
        }
        c->limit = strtoull(value, &end, 10);
        return *value && *end == 0 && *value != '-' ? MOSQ_ERR_SUCCESS : MOSQ_ERR_INVAL;
    }
    if (!strcmp(key, "strict")) {
        if (strcmp(value, "true") && strcmp(value, "false"))
            return MOSQ_ERR_INVAL;
        c->strict = !strcmp(value, "true");
        return MOSQ_ERR_SUCCESS;
    }
    return MOSQ_ERR_SUCCESS; /* options of other plugins */
}

static void free_config(config *c)
{
    free(c->filters);
    free(c->filter);
    free(c->error_topic);
    free(c);
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    int i;
    for (i = 0; i < supported_version_count; i++)
        if (supported_versions[i] == 5)
            return 5;
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                          struct mosquitto_opt *options, int option_count)
{
    config *c = calloc(1, sizeof *c);
    int i, rc;
    if (c == NULL)
        return MOSQ_ERR_NOMEM;
    c->id = identifier;
    c->reject = 1;
    c->limit = DEFAULT_LIMIT;
    rc = set_topics(c, DEFAULT_TOPICS);
    for (i = 0; i < option_count && rc == MOSQ_ERR_SUCCESS; i++) {
        rc = set_option(c, options[i].key, options[i].value);
        if (rc != MOSQ_ERR_SUCCESS)
            mosquitto_log_printf(MOSQ_LOG_ERR, "smartrest: bad option %s %s", options[i].key,
                                 options[i].value);
    }
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, NULL, c);
    if (rc != MOSQ_ERR_SUCCESS) {
        free_config(c);
        return rc;
    }
    *userdata = c;
    mosquitto_log_printf(MOSQ_LOG_INFO,
                         "smartrest: checking %d topic filter(s), action %s, error topic %s",
                         c->nfilters, c->reject ? "reject" : "log",
                         c->error_topic ? c->error_topic : "(none)");
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
    config *c = userdata;
    (void)options;
    (void)option_count;
    if (c == NULL)
        return MOSQ_ERR_SUCCESS;
    mosquitto_callback_unregister(c->id, MOSQ_EVT_MESSAGE, on_message, NULL);
    mosquitto_log_printf(MOSQ_LOG_INFO, "smartrest: %lu of %lu checked publishes invalid",
                         c->rejected, c->checked);
    free_config(c);
    return MOSQ_ERR_SUCCESS;
}
