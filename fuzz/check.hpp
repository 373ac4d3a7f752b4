// Shared by the libFuzzer targets: a property that must hold for every
// input. A failure prints what broke and aborts, which libFuzzer reports as
// a crash and saves the input as an artifact.
#pragma once

#include <pthread.h>

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

// Runs check(text) on a thread with a 1 MiB stack, as small as a Slurm
// daemon's threads, so that a parser recursing too deep crashes here.
inline void fuzz_on_small_stack(std::string_view text, void (*check)(std::string_view))
{
	struct Job {
		std::string_view text;
		void (*check)(std::string_view);
	} job{text, check};
	auto run = [](void *arg) -> void * {
		auto *j = static_cast<Job *>(arg);
		j->check(j->text);
		return nullptr;
	};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	pthread_t thread;
	FUZZ_CHECK(pthread_create(&thread, &attr, run, &job) == 0, "pthread_create");
	pthread_join(thread, nullptr);
	pthread_attr_destroy(&attr);
}
