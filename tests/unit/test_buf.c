/* test_buf.c — the growable buffer: appends and printf, the hard maximum
 * (E2BIG, nothing partly written, the data kept), take/free/reset,
 * mc_concat, and hex digits both ways. */
#include "common/buf.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BIG_MAX (1024 * 1024)
#define SMALL_MAX 8
#define MANY_APPENDS 5000
#define CONCAT_PART_BYTES 40000

static void test_empty(void)
{
    struct mc_buf buf;

    mc_buf_init(&buf, BIG_MAX);
    is_str(mc_buf_str(&buf), "", "a new buffer reads as \"\"");
    is_int(buf.len, 0, "a new buffer is empty");
    is_int(mc_buf_add(&buf, "", 0), 0, "adding nothing works");
    is_str(mc_buf_str(&buf), "", "still \"\"");
    mc_buf_free(&buf);
}

static void test_appends(void)
{
    struct mc_buf buf;
    int all_added = 1;
    int all_x = 1;
    int i;

    mc_buf_init(&buf, BIG_MAX);
    is_int(mc_buf_addstr(&buf, "/tmp"), 0, "addstr");
    is_int(mc_buf_add(&buf, "/cache/xyz", 6), 0, "add counts bytes, not strings");
    is_str(mc_buf_str(&buf), "/tmp/cache", "text after two appends");
    is_int(buf.len, 10, "len after two appends");
    is_int(mc_buf_printf(&buf, "/%s-%d%c", "id", 42, '!'), 0, "printf");
    is_str(mc_buf_str(&buf), "/tmp/cache/id-42!", "printf appends");
    is_int(buf.len, strlen("/tmp/cache/id-42!"), "len counts the printf text");
    is_int(mc_buf_add(&buf, "a\0b", 3), 0, "add bytes with a NUL inside");
    is_int(buf.len, 20, "len counts the NUL inside");
    ok(memcmp(buf.data + 17, "a\0b", 4) == 0, "bytes kept and NUL-terminated");

    mc_buf_reset(&buf);
    is_int(buf.len, 0, "reset empties");
    is_str(mc_buf_str(&buf), "", "reset reads as \"\"");
    for (i = 0; i < MANY_APPENDS; i++) {
        if (mc_buf_add(&buf, "x", 1) != 0)
            all_added = 0;
    }
    ok(all_added, "%d one-byte appends work", MANY_APPENDS);
    is_int(buf.len, MANY_APPENDS, "len after the appends");
    for (i = 0; i < MANY_APPENDS; i++) {
        if (buf.data[i] != 'x')
            all_x = 0;
    }
    ok(all_x && buf.data[MANY_APPENDS] == '\0', "growing kept every byte and the NUL");
    ok(buf.cap <= buf.max + 1, "never allocates past max + 1");
    mc_buf_free(&buf);
    ok(buf.data == NULL && buf.len == 0, "free empties");
    is_int(buf.max, BIG_MAX, "free keeps the maximum");
}

static void test_max(void)
{
    struct mc_buf buf;

    mc_buf_init(&buf, SMALL_MAX);
    is_int(mc_buf_addstr(&buf, "12345"), 0, "5 bytes fit in 8");
    errno = 0;
    is_int(mc_buf_addstr(&buf, "6789"), -1, "9 bytes do not fit in 8");
    is_int(errno, E2BIG, "errno E2BIG");
    is_str(mc_buf_str(&buf), "12345", "nothing of the refused append was written");
    is_int(buf.len, 5, "len unchanged");
    errno = 0;
    is_int(mc_buf_printf(&buf, "%d", 6789), -1, "printf past the maximum fails");
    is_int(errno, E2BIG, "errno E2BIG");
    is_str(mc_buf_str(&buf), "12345", "nothing of the refused printf was written");
    errno = 0;
    is_int(mc_buf_add(&buf, "x", SIZE_MAX), -1, "a SIZE_MAX append fails (no overflow)");
    is_int(errno, E2BIG, "errno E2BIG");
    is_int(mc_buf_printf(&buf, "%s", "678"), 0, "exactly up to the maximum works");
    is_str(mc_buf_str(&buf), "12345678", "full buffer");
    is_int(mc_buf_add(&buf, "", 0), 0, "adding nothing to a full buffer works");
    errno = 0;
    is_int(mc_buf_add(&buf, "9", 1), -1, "one byte more fails");
    is_int(errno, E2BIG, "errno E2BIG");
    is_str(mc_buf_str(&buf), "12345678", "the data is intact");
    mc_buf_free(&buf);

    mc_buf_init(&buf, 0);
    is_int(mc_buf_add(&buf, "", 0), 0, "a zero-max buffer takes nothing");
    is_int(mc_buf_add(&buf, "a", 1), -1, "a zero-max buffer refuses a byte");
    mc_buf_free(&buf);
}

static void test_take(void)
{
    struct mc_buf buf;
    char *text;

    mc_buf_init(&buf, BIG_MAX);
    mc_buf_addstr(&buf, "kept");
    text = mc_buf_take(&buf);
    is_str(text, "kept", "take hands over the text");
    ok(buf.data == NULL && buf.len == 0, "take leaves the buffer empty");
    is_int(buf.max, BIG_MAX, "take keeps the maximum");
    is_int(mc_buf_addstr(&buf, "again"), 0, "the buffer is usable after take");
    is_str(mc_buf_str(&buf), "again", "new text after take");
    is_str(text, "kept", "the taken text is not touched by new appends");
    free(text);
    mc_buf_free(&buf);

    text = mc_buf_take(&buf);
    is_str(text, "", "take of an empty buffer gives a string to free");
    free(text);
}

static void test_concat(void)
{
    char *part = malloc(CONCAT_PART_BYTES + 1);
    char *text;

    text = mc_concat("/srv", "/", "cache", "/", "id", NULL);
    is_str(text, "/srv/cache/id", "concat joins its arguments");
    free(text);
    text = mc_concat("only", NULL);
    is_str(text, "only", "concat of one string");
    free(text);
    text = mc_concat("", "", NULL);
    is_str(text, "", "concat of empty strings");
    free(text);

    if (!part) {
        ok(0, "malloc for the long concat");
        return;
    }
    memset(part, 'p', CONCAT_PART_BYTES);
    part[CONCAT_PART_BYTES] = '\0';
    text = mc_concat(part, NULL);
    ok(text && strlen(text) == CONCAT_PART_BYTES, "concat of %d bytes works",
       CONCAT_PART_BYTES);
    free(text);
    text = mc_concat(part, part, NULL);
    ok(text == NULL, "concat past its 64 KiB limit gives NULL");
    free(text);
    free(part);
}

static void test_hex(void)
{
    static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
    unsigned char all[256];
    char out[2 * sizeof(all) + 1];
    int round_trip = 1;
    size_t i;

    mc_hex_encode(bytes, sizeof(bytes), out);
    is_str(out, "00017f80abcdefff", "hex: lower case, two digits a byte, high nibble first");
    memset(out, 'x', sizeof(out));
    mc_hex_encode(bytes, 0, out);
    is_str(out, "", "hex of nothing is \"\" (terminated)");
    for (i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)i;
    mc_hex_encode(all, sizeof(all), out);
    is_int(strlen(out), 2 * sizeof(all), "hex of 256 bytes: 512 digits");
    for (i = 0; i < sizeof(all); i++) {
        if (mc_hex_digit(out[2 * i]) * 16 + mc_hex_digit(out[2 * i + 1]) != (int)i)
            round_trip = 0;
    }
    ok(round_trip, "every byte value back through mc_hex_digit");
    is_int(mc_hex_digit('F'), 15, "a digit in upper case too");
    is_int(mc_hex_digit('g'), -1, "'g' is no hex digit");
}

int main(void)
{
    test_empty();
    test_appends();
    test_max();
    test_take();
    test_concat();
    test_hex();
    return done_testing();
}
