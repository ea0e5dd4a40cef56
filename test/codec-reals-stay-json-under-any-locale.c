/*
 * A program may call setlocale() and choose a decimal point other than '.':
 * ',' (de_DE) or the two-byte U+066B (ps_AF), which printf and strtod then
 * follow in every thread.  Stored reals stay JSON all the same -- the same
 * shortest text as in the C locale -- and read back bit for bit, including
 * text another program wrote.  (jansson's own reader fails an assertion on
 * the first real it reads under ps_AF; the library must not let it.)
 * Locales that are not installed are compiled with localedef when it is
 * there; with neither, the scenario says so and passes.
 */
#include "harness.h"

#include <locale.h>
#include <sys/stat.h>

static locale_t c_locale;

/* Makes locale name current, compiling it from source with localedef into
 * the test directory when it is not installed. */
static bool use_locale(const char *name, const char *source)
{
    if (setlocale(LC_ALL, name))
        return true;
    /* A directory per locale: glibc remembers a name it did not find under
     * a LOCPATH, so each compiled locale comes with a LOCPATH of its own. */
    char dir_name[64];
    snprintf(dir_name, sizeof dir_name, "locales-%s", source);
    const char *dir = t_path(dir_name);
    CHECK(mkdir(dir, 0700) == 0);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "command -v localedef >/dev/null && test -f /usr/share/i18n/locales/%s && "
             "localedef -i %s -f UTF-8 '%s/%s'",
             source, source, dir, name);
    int st = t_run_cmd(cmd, &out);
    free(out);
    if (st != 0)
        return false;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_ALL, name) != NULL;
}

/* jansson's reading of text, in the C locale (in ps_AF it would abort). */
static json_t *parse_in_c(const char *text)
{
    locale_t callers = uselocale(c_locale);
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
    uselocale(callers);
    return v;
}

static bool same_reals(const json_t *got, const double *want, size_t n)
{
    if (!json_is_array(got) || json_array_size(got) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(got, i);
        double d = json_real_value(r);
        if (!json_is_real(r) || memcmp(&d, &want[i], sizeof d) != 0)
            return false;
    }
    return true;
}

static void check_locale(const char *name)
{
    static const double reals[] = {0.5,     0.1,       -2.5e-7, 1e300, 0x1p-1074,
                                   -0.0,    1.0 / 3.0, 3.0,     1e16,  123456.75};
    static const char want_text[] = "[0.5,0.1,-2.5e-07,1e+300,4.94065645841247e-324,-0.0,"
                                    "0.3333333333333333,3.0,1e+16,123456.75]";
    size_t n = sizeof reals / sizeof reals[0];
    const char *path = t_path("locale.db");
    nana_db_t *db = t_open("locale.db", NULL);

    json_t *v = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(v, json_real(reals[i]));
    CHECK_ST(t_wait(nana_set(db, name, v)), NANA_OK);
    json_decref(v);
    char *raw = t_raw_value(path, "data", name);
    CHECK(raw != NULL);
    if (strcmp(raw, want_text) != 0)
        t_fail(__FILE__, __LINE__, "%s: stored %s, want %s", name, t_shown(raw), want_text);
    json_t *theirs = parse_in_c(raw);
    CHECK(same_reals(theirs, reals, n));
    json_decref(theirs);
    free(raw);
    json_t *back = TAKE(nana_get_fresh(db, name, NULL));
    CHECK(same_reals(back, reals, n));
    nana_json_release(back);

    /* Text another program wrote, with Python's separators. */
    static const double py[] = {0.5, 1000.0, -0.0, 2.5e-7};
    t_raw_put(path, "python", "[0.5, 1e3, -0.0, 2.5E-7]");
    back = TAKE(nana_get_fresh(db, "python", NULL));
    CHECK(same_reals(back, py, sizeof py / sizeof py[0]));
    nana_json_release(back);
    t_raw_put(path, "object", "{\"pi\": 3.25, \"list\": [1.5]}");
    back = TAKE(nana_get_fresh(db, "object", NULL));
    CHECK(json_real_value(json_object_get(back, "pi")) == 3.25);
    CHECK(json_real_value(json_array_get(json_object_get(back, "list"), 0)) == 1.5);
    nana_json_release(back);
    CHECK_ST(nana_close(db), NANA_OK);
}

int main(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    CHECK(c_locale != (locale_t)0);
    static const struct {
        const char *name, *source;
    } locales[] = {{"ps_AF.UTF-8", "ps_AF"}, {"de_DE.UTF-8", "de_DE"}};
    int tried = 0;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
        if (!use_locale(locales[i].name, locales[i].source)) {
            printf("%s: not available, skipped\n", locales[i].name);
            continue;
        }
        const char *point = localeconv()->decimal_point;
        if (strcmp(point, ".") == 0) {
            printf("%s: its decimal point is '.', skipped\n", locales[i].name);
        } else {
            check_locale(locales[i].name);
            tried++;
        }
        setlocale(LC_ALL, "C");
    }
    printf("%d locale(s) with another decimal point checked\n", tried);
    freelocale(c_locale);
    return 0;
}
