// slurm-pi's mini-criterion: the part of Criterion's API (2.4) that
// tests/unit/ uses, for hosts without Criterion (Debian builds
// libcriterion-dev for amd64, arm64 and i386 only, not armhf). configure
// picks it when pkg-config finds no Criterion, or with
// --with-criterion=mini. The runner (main, registry, one forked child per
// test, TAP output) is ../runner.cpp.
//
// C++ only. What is here:
//   Test(suite, name) and Test(suite, name, .exit_code = N, .timeout = S)
//   cr_assert, cr_assert_not, cr_assert_fail,
//   cr_assert_eq, _neq, _lt, _leq, _gt, _geq, cr_assert_null, _not_null,
//   cr_assert_str_eq, _str_neq, _str_empty, _str_not_empty, cr_assert_float_eq,
//   cr_skip_test, cr_log_info, cr_log_warn.
// Each assertion takes an optional printf format and its arguments. A failed
// assertion records file:line, the expression and the message, and ends
// the test's process at once (no unwinding, as Criterion). Unlike
// Criterion, arguments are evaluated exactly once. A test that uses more
// of Criterion needs it added here too, or the armhf build fails.
#pragma once

// The standard headers that Criterion's criterion.h includes in C++: tests
// written against it may use them without including them (strlen, ...).
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <memory>
#include <sstream>
#include <vector>

namespace mini_criterion {

// Test()'s options, in the order of Criterion's criterion_test_extra_data
// (C++ designated initializers must keep the declaration order). Its
// others (.init, .fini, .signal, .disabled, .description) are not here.
struct TestOptions {
	int exit_code = 0;    // the test passes only if its process exits so
	double timeout = 0;   // seconds; 0: the runner's default
};

using TestFunction = void (*)();

struct Registrar {
	Registrar(const char *suite, const char *name, TestFunction fn, TestOptions options);
};

[[noreturn]] void assert_failed(const char *file, int line, const char *expr);
[[noreturn]] __attribute__((format(printf, 4, 5))) void
assert_failed(const char *file, int line, const char *expr, const char *fmt, ...);

// A string comparison that failed: both values are shown.
[[noreturn]] void str_failed(const char *file, int line, const char *expr,
			     const char *actual, const char *expected);
[[noreturn]] __attribute__((format(printf, 6, 7))) void
str_failed(const char *file, int line, const char *expr, const char *actual,
	   const char *expected, const char *fmt, ...);

[[noreturn]] void float_failed(const char *file, int line, const char *expr,
			       long double actual, long double expected);
[[noreturn]] __attribute__((format(printf, 6, 7))) void
float_failed(const char *file, int line, const char *expr, long double actual,
	     long double expected, const char *fmt, ...);

// Null pointers compare as unequal to everything (Criterion would crash).
bool str_equal(const char *a, const char *b);

[[noreturn]] void skip();
[[noreturn]] __attribute__((format(printf, 1, 2))) void skip(const char *fmt, ...);

__attribute__((format(printf, 2, 3))) void log_message(const char *tag, const char *fmt, ...);

} // namespace mini_criterion

#define Test(suite, name, ...)                                                      \
	static void suite##_##name##_impl();                                        \
	static const ::mini_criterion::Registrar suite##_##name##_registrar_(       \
		#suite, #name, suite##_##name##_impl,                               \
		::mini_criterion::TestOptions{__VA_ARGS__});                        \
	static void suite##_##name##_impl()

// The core: `expr` is the text shown when `cond` is false.
#define MC_ASSERT_(cond, expr, ...)                                                  \
	do {                                                                         \
		if (!(cond))                                                         \
			::mini_criterion::assert_failed(__FILE__, __LINE__,          \
							expr __VA_OPT__(, ) __VA_ARGS__); \
	} while (0)

#define cr_assert(cond, ...) MC_ASSERT_(cond, #cond __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_not(cond, ...) MC_ASSERT_(!(cond), "!(" #cond ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_fail(...) \
	::mini_criterion::assert_failed(__FILE__, __LINE__, "cr_assert_fail()" __VA_OPT__(, ) __VA_ARGS__)

#define cr_assert_eq(a, b, ...) MC_ASSERT_((a) == (b), "(" #a ") == (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_neq(a, b, ...) MC_ASSERT_((a) != (b), "(" #a ") != (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_lt(a, b, ...) MC_ASSERT_((a) < (b), "(" #a ") < (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_leq(a, b, ...) MC_ASSERT_((a) <= (b), "(" #a ") <= (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_gt(a, b, ...) MC_ASSERT_((a) > (b), "(" #a ") > (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_geq(a, b, ...) MC_ASSERT_((a) >= (b), "(" #a ") >= (" #b ")" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_null(p, ...) MC_ASSERT_((p) == nullptr, "(" #p ") == NULL" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_not_null(p, ...) \
	MC_ASSERT_((p) != nullptr, "(" #p ") != NULL" __VA_OPT__(, ) __VA_ARGS__)

// Strings (const char *): on failure both values are shown.
#define MC_STR_(equal, a, b, expr, ...)                                              \
	do {                                                                         \
		const char *mc_actual_ = (a);                                        \
		const char *mc_expected_ = (b);                                      \
		if (::mini_criterion::str_equal(mc_actual_, mc_expected_) != (equal)) \
			::mini_criterion::str_failed(__FILE__, __LINE__, expr,       \
						     mc_actual_, mc_expected_        \
						     __VA_OPT__(, ) __VA_ARGS__);    \
	} while (0)
#define cr_assert_str_eq(a, b, ...) \
	MC_STR_(true, a, b, "(" #a ") == (" #b ") (as strings)" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) \
	MC_STR_(false, a, b, "(" #a ") != (" #b ") (as strings)" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_str_empty(s, ...) \
	MC_STR_(true, s, "", "(" #s ") is empty" __VA_OPT__(, ) __VA_ARGS__)
#define cr_assert_str_not_empty(s, ...) \
	MC_STR_(false, s, "", "(" #s ") is not empty" __VA_OPT__(, ) __VA_ARGS__)

// |a - b| <= eps, written as Criterion does (no abs of an unsigned).
#define cr_assert_float_eq(a, b, eps, ...)                                           \
	do {                                                                         \
		const auto mc_actual_ = (a);                                         \
		const auto mc_expected_ = (b);                                       \
		const auto mc_eps_ = (eps);                                          \
		if (!(mc_actual_ - mc_expected_ <= mc_eps_ &&                        \
		      mc_expected_ - mc_actual_ <= mc_eps_))                         \
			::mini_criterion::float_failed(                              \
				__FILE__, __LINE__,                                  \
				"(" #a ") == (" #b ") within " #eps,                 \
				mc_actual_, mc_expected_ __VA_OPT__(, ) __VA_ARGS__); \
	} while (0)

#define cr_skip_test(...) ::mini_criterion::skip(__VA_ARGS__)

#define cr_log_info(fmt, ...) ::mini_criterion::log_message("[----]", fmt __VA_OPT__(, ) __VA_ARGS__)
#define cr_log_warn(fmt, ...) ::mini_criterion::log_message("[WARN]", fmt __VA_OPT__(, ) __VA_ARGS__)
