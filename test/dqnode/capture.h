/*
 * The one row of parameters test/dqnode/capture.c sent to a dqlite node,
 * and that the codec scenario encodes again to compare with the capture:
 * one value of every type a params tuple binds.
 */
#ifndef NANA_TEST_DQNODE_CAPTURE_H
#define NANA_TEST_DQNODE_CAPTURE_H

#define CAPTURE_PARAMS                                                   \
    {                                                                    \
        {.type = NANA_DQ_INTEGER, .integer = -1234567890123},            \
        {.type = NANA_DQ_FLOAT, .real = 3.25},                           \
        {.type = NANA_DQ_TEXT, .text = {"h\xc3\xa9llo", 6}},             \
        {.type = NANA_DQ_BLOB, .blob = {"\x00\x01\x02\xff\xfe", 5}},     \
        {.type = NANA_DQ_NULL},                                          \
        {.type = NANA_DQ_ISO8601, .text = {"2024-01-02T03:04:05Z", 20}}, \
        {.type = NANA_DQ_BOOLEAN, .boolean = 1},                         \
    }

#endif
