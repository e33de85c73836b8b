/* log.c — levelled diagnostics to stderr or MONOCACHE_LOG_FILE (see log.h). */
#include "log.h"
#include "shown.h"
#include "utc.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MC_LOG_LINE_MAX 1024
#define MC_LOG_FILE_MODE 0600

static enum mc_log_level log_level = MC_LOG_ERROR;
static enum mc_log_format log_format = MC_LOG_TEXT;
static int log_fd = -1;     /* -1: stderr */

void mc_log_set_format(enum mc_log_format format)
{
    log_format = format;
}

int mc_log_setup(enum mc_log_level level, const char *file, struct mc_err *err)
{
    struct stat st;

    log_level = level;
    mc_log_close();
    if (!file)
        return 0;
    /* Never blocking: a FIFO nobody reads fails at once (ENXIO) instead of
     * holding the program, and a full pipe loses lines rather than stalls. */
    log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                  MC_LOG_FILE_MODE);
    if (log_fd < 0 && errno == ENXIO) {
        mc_err_set(err, "MONOCACHE_LOG_FILE=%s: a FIFO or socket nobody reads; logging to stderr",
                   file);
        return -1;
    }
    if (log_fd < 0) {
        mc_err_sys(err, errno, "MONOCACHE_LOG_FILE=%s", file);
        return -1;
    }
    if (fstat(log_fd, &st) != 0 || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
        mc_err_set(err, "MONOCACHE_LOG_FILE=%s: not a file, a pipe or a terminal; logging to "
                   "stderr", file);
        mc_log_close();
        return -1;
    }
    return 0;
}

void mc_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
}

static const char *level_word(enum mc_log_level level)
{
    switch (level) {
    case MC_LOG_ERROR:
        return "error";
    case MC_LOG_WARN:
        return "warning";
    case MC_LOG_INFO:
        return "info";
    case MC_LOG_DEBUG:
        return "debug";
    }
    return "?";
}

static void write_all(int fd, const char *text, size_t len)
{
    while (len) {
        ssize_t done = write(fd, text, len);

        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return;
        text += done;
        len -= (size_t)done;
    }
}

/* message as the inside of a JSON string. */
static void json_escape(const char *message, char *out, size_t size)
{
    size_t used = 0;

    for (; *message && used + 7 < size; message++) {
        unsigned char c = (unsigned char)*message;

        if (c == '"' || c == '\\') {
            out[used++] = '\\';
            out[used++] = (char)c;
        } else if (c < 0x20) {
            used += (size_t)snprintf(out + used, size - used, "\\u%04x", c);
        } else {
            out[used++] = (char)c;
        }
    }
    out[used] = '\0';
}

/* What a line is about (mc_log_event, mc_log_figures), for the JSON form. */
struct about {
    const char *event;
    const char *id;
    const char *path;
    const struct mc_log_figure *figures;
    size_t figure_count;
};

/* ,"name":number for each figure, from out + used. */
static size_t figure_fields(const struct about *about, char *out, size_t used, size_t size)
{
    size_t i;

    for (i = 0; i < about->figure_count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, ",\"%s\":%.15g",
                                 about->figures[i].name, about->figures[i].value);
    return used;
}

/* ,"name":"value" for each field set, then the figures, into out. */
static void about_fields(const struct about *about, char *out, size_t size)
{
    const char *names[] = { "event", "id", "path" };
    const char *values[3];
    char escaped[MC_LOG_LINE_MAX];
    size_t used = 0;
    int i;

    out[0] = '\0';
    if (!about)
        return;
    values[0] = about->event;
    values[1] = about->id;
    values[2] = about->path;
    for (i = 0; i < 3 && used < size; i++) {
        if (!values[i])
            continue;
        json_escape(values[i], escaped, sizeof(escaped));
        used += (size_t)snprintf(out + used, size - used, ",\"%s\":\"%s\"", names[i], escaped);
    }
    figure_fields(about, out, used, size);
}

static void emit(int fd, enum mc_log_level level, const char *message, const struct about *about)
{
    char line[MC_LOG_LINE_MAX * 4 + 128];
    char escaped[MC_LOG_LINE_MAX * 2];
    char fields[MC_LOG_LINE_MAX * 2];
    char stamp[MC_UTC_STAMP_MAX];
    int len;

    mc_utc_stamp(time(NULL), stamp, sizeof(stamp));
    if (log_format == MC_LOG_JSON) {
        json_escape(message, escaped, sizeof(escaped));
        about_fields(about, fields, sizeof(fields));
        len = snprintf(line, sizeof(line),
                       "{\"time\":\"%s\",\"pid\":%ld,\"level\":\"%s\",\"program\":\"monocache\"%s,"
                       "\"message\":\"%s\"}\n", stamp, (long)getpid(), level_word(level), fields,
                       escaped);
    } else if (fd == STDERR_FILENO && level == MC_LOG_ERROR) {
        len = snprintf(line, sizeof(line), "monocache: %s\n", message);
    } else if (fd == STDERR_FILENO) {
        len = snprintf(line, sizeof(line), "monocache: %s: %s\n", level_word(level), message);
    } else {
        len = snprintf(line, sizeof(line), "%s monocache[%ld] %s: %s\n", stamp, (long)getpid(),
                       level_word(level), message);
    }
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(line))
        len = (int)sizeof(line) - 1;
    write_all(fd, line, (size_t)len);
}

__attribute__((format(printf, 4, 0)))
static void vlog(enum mc_log_level level, int also_stderr, const struct about *about,
                 const char *fmt, va_list ap)
{
    char raw[MC_LOG_LINE_MAX];
    char message[MC_LOG_LINE_MAX];
    int saved_errno = errno;

    vsnprintf(raw, sizeof(raw), fmt, ap);
    /* One line, no secret of a URL, nothing a terminal would obey (an S3
     * key, a file name). */
    mc_shown(raw, message, sizeof(message));
    if (log_fd >= 0)
        emit(log_fd, level, message, about);
    if (log_fd < 0 || also_stderr)
        emit(STDERR_FILENO, level, message, about);
    errno = saved_errno;
}

void mc_log(enum mc_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    vlog(level, 0, NULL, fmt, ap);
    va_end(ap);
}

void mc_log_figures(enum mc_log_level level, const char *event, const char *id,
                    const char *path, const struct mc_log_figure *figures, size_t count,
                    const char *fmt, ...)
{
    struct about about = { event, id, path, figures, count };
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    vlog(level, 0, &about, fmt, ap);
    va_end(ap);
}

void mc_log_always(enum mc_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, 1, NULL, fmt, ap);
    va_end(ap);
}
