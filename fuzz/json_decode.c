/*
 * json_decode -- the stored-text decoder (nana__json_decode, lib/codec.c)
 * against jansson, differentially.  The input is the text of a stored
 * value, any bytes.
 *
 * jansson reads it with the flags the library documents and uses for what
 * its fast reader hands over (JSON_DECODE_ANY | JSON_ALLOW_NUL).  The
 * library documents no difference from that verdict -- nanasqlite(3),
 * STORAGE: any valid JSON text reads back; text that is not JSON, or holds
 * an integer beyond 64 bits, is refused, and jansson refuses exactly those
 * too (integers it cannot hold, NUL in a member name, nesting past 2048
 * levels) -- so the two must agree on every input:
 *   - both refuse, or
 *   - both accept, with exactly the same value: member order (a repeated
 *     member name keeps its last value in its first place, as in
 *     test/codec-decoder-duplicate-keys-keep-last-value-in-first-place.c),
 *     strings byte for byte with their NULs, reals bit for bit.
 * And what the decoder accepts the encoder must write back: text without a
 * NUL byte that both readers read as the same value again.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

int fuzz_check_json_decode(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_error_t err;
    json_t *want = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    json_t *got = nana__json_decode(text, size);
    if (!want && got)
        fuzz_fail("the library reads %s from text jansson refuses (%s)", fuzz_json_show(got),
                  err.text);
    if (want && !got)
        fuzz_fail("the library refuses text jansson reads as %s", fuzz_json_show(want));
    if (!got)
        return 0;
    if (!fuzz_json_same(got, want)) {
        char shown_got[1100];
        snprintf(shown_got, sizeof shown_got, "%s", fuzz_json_show(got));
        fuzz_fail("the library reads %s, jansson %s", shown_got, fuzz_json_show(want));
    }

    size_t len = 0;
    char *again = nana__json_encode(got, &len);
    if (!again)
        fuzz_fail("the encoder refuses a value the decoder read: %s", fuzz_json_show(got));
    if (strlen(again) != len)
        fuzz_fail("the encoder wrote a NUL byte into the text of %s", fuzz_json_show(got));
    json_t *back = nana__json_decode(again, len);
    json_t *back_jansson = json_loadb(again, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!fuzz_json_same(back, got) || !fuzz_json_same(back_jansson, got))
        fuzz_fail("re-encoded as %s, which reads back differently", fuzz_show(again, len));
    free(again);
    json_decref(back);
    json_decref(back_jansson);
    json_decref(got);
    json_decref(want);
    return 0;
}
