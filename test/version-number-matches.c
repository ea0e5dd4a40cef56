/* The header's version macros agree with each other and with the library
 * linked at run time. */
#include "harness.h"

int main(void)
{
    CHECK(NANA_VERSION_MAJOR >= 0);
    CHECK(NANA_VERSION_MINOR >= 0 && NANA_VERSION_MINOR < 1000);
    CHECK(NANA_VERSION_PATCH >= 0 && NANA_VERSION_PATCH < 1000);
    CHECK_INT(NANA_VERSION_NUMBER,
              NANA_VERSION_MAJOR * 1000000 + NANA_VERSION_MINOR * 1000 + NANA_VERSION_PATCH);

    char text[64];
    snprintf(text, sizeof text, "%d.%d.%d", NANA_VERSION_MAJOR, NANA_VERSION_MINOR,
             NANA_VERSION_PATCH);
    CHECK_STR(NANA_VERSION, text);

    int linked = nana_libversion_number();
    CHECK_INT(linked, NANA_VERSION_NUMBER);
    CHECK_INT(linked / 1000000, NANA_VERSION_MAJOR);
    CHECK_INT(linked / 1000 % 1000, NANA_VERSION_MINOR);
    CHECK_INT(linked % 1000, NANA_VERSION_PATCH);
    /* Stable across calls. */
    CHECK_INT(nana_libversion_number(), linked);
    return 0;
}
