/* mpfr-orbit: the reference orbit's arithmetic in MPFR, timed, as the yardstick for ours.
 *
 * Iterates z <- z^2 + c from z = 0 in MPFR at PREC bits of mantissa for up to N iterations,
 * stopping after the first z with |z|^2 > 4, with the formula of src/mandel/deep/orbit.rs:
 * three squarings an iteration, x2 = re^2, y2 = im^2, s2 = (re + im)^2, then
 * im' = s2 - x2 - y2 + c_im and re' = x2 - y2 + c_re (round to nearest), and each new z
 * rounded to double for the escape test (as our orbit stores each Z_n as f64 and tests it).
 * The centre c is given as decimal strings, read by MPFR at PREC bits.
 *
 * Times the loop alone (not the set-up) with clock_gettime: the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID) and the wall time (CLOCK_MONOTONIC), and prints one JSON line:
 * iterations done, seconds and nanoseconds per iteration of each, and the MPFR and GMP versions.
 *
 * Built and run by scripts/bench.py's `reference` part (Debian: libmpfr-dev, libgmp-dev):
 *     cc -O2 scripts/mpfr-orbit.c -o mpfr-orbit -lmpfr -lgmp
 *     ./mpfr-orbit PREC RE IM N     e.g.  ./mpfr-orbit 33344 -0.75 0.0001 31417
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <gmp.h>
#include <mpfr.h>

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s PREC_BITS RE IM ITERATIONS\n", argv[0]);
        return 2;
    }
    char *end;
    long prec = strtol(argv[1], &end, 10);
    if (*end || prec < MPFR_PREC_MIN || prec > 100000000) {
        fprintf(stderr, "error: bad precision '%s'\n", argv[1]);
        return 2;
    }
    unsigned long long n_max = strtoull(argv[4], &end, 10);
    if (*end || argv[4][0] == '-') {
        fprintf(stderr, "error: bad iteration count '%s'\n", argv[4]);
        return 2;
    }
    mpfr_t c_re, c_im, re, im, x2, y2, s2;
    mpfr_inits2((mpfr_prec_t)prec, c_re, c_im, re, im, x2, y2, s2, (mpfr_ptr)0);
    if (mpfr_set_str(c_re, argv[2], 10, MPFR_RNDN) || mpfr_set_str(c_im, argv[3], 10, MPFR_RNDN)) {
        fprintf(stderr, "error: bad centre '%s,%s'\n", argv[2], argv[3]);
        return 2;
    }
    mpfr_set_zero(re, 1);
    mpfr_set_zero(im, 1);

    double cpu0 = seconds(CLOCK_THREAD_CPUTIME_ID), wall0 = seconds(CLOCK_MONOTONIC);
    unsigned long long n = 0;
    while (n < n_max) {
        mpfr_sqr(x2, re, MPFR_RNDN);
        mpfr_sqr(y2, im, MPFR_RNDN);
        mpfr_add(s2, re, im, MPFR_RNDN);
        mpfr_sqr(s2, s2, MPFR_RNDN);
        mpfr_sub(s2, s2, x2, MPFR_RNDN);
        mpfr_sub(s2, s2, y2, MPFR_RNDN);
        mpfr_add(im, s2, c_im, MPFR_RNDN);
        mpfr_sub(re, x2, y2, MPFR_RNDN);
        mpfr_add(re, re, c_re, MPFR_RNDN);
        n++;
        double a = mpfr_get_d(re, MPFR_RNDN), b = mpfr_get_d(im, MPFR_RNDN);
        if (a * a + b * b > 4.0)
            break;
    }
    double cpu = seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0, wall = seconds(CLOCK_MONOTONIC) - wall0;

    double per = n ? 1e9 / (double)n : 0.0;
    printf("{\"precision_bits\": %ld, \"iterations\": %llu, \"cpu_s\": %.9f, \"wall_s\": %.9f, "
           "\"cpu_ns_per_iteration\": %.3f, \"wall_ns_per_iteration\": %.3f, "
           "\"mpfr\": \"%s\", \"gmp\": \"%s\"}\n",
           prec, n, cpu, wall, cpu * per, wall * per, mpfr_get_version(), gmp_version);
    mpfr_clears(c_re, c_im, re, im, x2, y2, s2, (mpfr_ptr)0);
    return 0;
}
