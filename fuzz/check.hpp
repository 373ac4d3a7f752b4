// Shared by the libFuzzer targets: a property that must hold for every
// input. A failure prints what broke and aborts, which libFuzzer reports as
// a crash and saves the input as an artifact.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			std::fprintf(stderr, "%s:%d: property failed: %s\n", \
				     __FILE__, __LINE__, #cond);            \
			std::fprintf(stderr, __VA_ARGS__);                  \
			std::fputc('\n', stderr);                           \
			std::abort();                                       \
		}                                                           \
	} while (0)

inline std::string_view fuzz_text(const unsigned char *data, std::size_t size)
{
	return {reinterpret_cast<const char *>(data), size};
}
