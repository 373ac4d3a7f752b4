// Small helpers shared by the Criterion unit tests.
#pragma once

#include <criterion/criterion.h>

#include <string>
#include <string_view>

// Criterion keeps the pointer it is given, so compare through a named copy
// rather than a temporary's c_str().
#define assert_sv_eq(actual, ...)                                  \
	do {                                                       \
		std::string actual_copy_(actual);                  \
		cr_assert_str_eq(actual_copy_.c_str(), __VA_ARGS__); \
	} while (0)

inline bool contains(std::string_view hay, std::string_view needle)
{
	return hay.find(needle) != std::string_view::npos;
}
