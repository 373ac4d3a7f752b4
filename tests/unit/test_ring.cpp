#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "common/ring.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

struct TmpRing {
	ScratchDir dir{"slurmpi-test-ring"};
	std::string path = dir.str() + "/slurm-pi.ring";
};

RingSample sample(std::int64_t t)
{
	RingSample s;
	s.time = t;
	s.temp_mc = static_cast<std::int32_t>(40000 + t);
	s.throttled = static_cast<std::uint32_t>(t) & 0x5;
	s.throttled_known = 0xf000f;
	s.cur_mhz = static_cast<std::int32_t>(600 + t);
	s.band = static_cast<std::uint8_t>(t % 4);
	return s;
}

constexpr std::int64_t kAll0 = INT64_MIN, kAll1 = INT64_MAX;

off_t file_size(const std::string &p)
{
	struct stat st;
	return stat(p.c_str(), &st) == 0 ? st.st_size : -1;
}

// Overwrite `n` bytes at `off` in the file.
void poke(const std::string &p, off_t off, const void *data, std::size_t n)
{
	int fd = open(p.c_str(), O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, data, n, off), static_cast<ssize_t>(n));
	close(fd);
}

} // namespace

Test(ring, slots_follow_hours_and_poll_interval_within_the_cap)
{
	cr_assert_eq(ring_slots(4, 10), 1440u);
	cr_assert_eq(ring_slots(4, 1), 14400u);
	cr_assert_eq(ring_slots(48, 1), kRingMaxSlots);
	cr_assert_eq(ring_slots(1, 3600), kRingMinSlots);
	cr_assert_eq(ring_slots(1, 7), 515u); // rounded up
	cr_assert_eq(ring_file_size(1440), 57664u);
}

Test(ring, round_trip_creates_a_0644_file_of_the_documented_size)
{
	TmpRing r;
	RingWriter w(r.path, 32);
	RingWriter::Result a = w.append(sample(100));
	cr_assert(a.ok, "%s", a.error.c_str());
	cr_assert_str_eq(a.recreated.c_str(), "created");
	for (int t = 101; t < 105; ++t)
		cr_assert(w.append(sample(t)).ok);
	cr_assert_eq(file_size(r.path), static_cast<off_t>(64 + 40 * 32));
	struct stat st;
	cr_assert_eq(stat(r.path.c_str(), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644u);

	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert(rd.ok, "%s", rd.error.c_str());
	cr_assert_eq(rd.slots, 32u);
	cr_assert_eq(rd.head, 5u);
	cr_assert_eq(rd.samples.size(), 5u);
	for (int i = 0; i < 5; ++i)
		cr_assert(rd.samples[i] == sample(100 + i), "sample %d", i);
	cr_assert_eq(rd.torn, 0u);
}

Test(ring, reader_keeps_only_the_time_window)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	for (int t = 0; t < 10; ++t)
		cr_assert(w.append(sample(t)).ok);
	RingRead rd = read_ring(r.path, 3, 6);
	cr_assert(rd.ok);
	cr_assert_eq(rd.samples.size(), 4u);
	cr_assert_eq(rd.samples.front().time, 3);
	cr_assert_eq(rd.samples.back().time, 6);
}

Test(ring, wraps_around_keeping_the_newest_slots_oldest_first)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	for (int t = 0; t < 16 * 3 + 5; ++t)
		cr_assert(w.append(sample(t)).ok);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert(rd.ok);
	cr_assert_eq(rd.head, 53u);
	cr_assert_eq(rd.samples.size(), 16u);
	for (int i = 0; i < 16; ++i)
		cr_assert_eq(rd.samples[i].time, 37 + i);
}

Test(ring, a_new_writer_continues_a_valid_ring)
{
	TmpRing r;
	{
		RingWriter w(r.path, 16);
		for (int t = 0; t < 3; ++t)
			cr_assert(w.append(sample(t)).ok);
	}
	RingWriter w2(r.path, 16);
	RingWriter::Result a = w2.append(sample(3));
	cr_assert(a.ok);
	cr_assert(a.recreated.empty(), "%s", a.recreated.c_str());
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_eq(rd.samples.size(), 4u);
	cr_assert_eq(rd.samples[3].time, 3);
}

Test(ring, a_different_slot_count_is_a_resize_not_damage)
{
	TmpRing r;
	{
		RingWriter w(r.path, 16);
		cr_assert(w.append(sample(1)).ok);
	}
	RingWriter w2(r.path, 20);
	RingWriter::Result a = w2.append(sample(2));
	cr_assert(a.ok);
	cr_assert_eq(a.resized_from, 16u);
	cr_assert(a.recreated.empty(), "a resize is not damage: %s",
		  a.recreated.c_str());
	cr_assert_eq(file_size(r.path), static_cast<off_t>(ring_file_size(20)));
	cr_assert_eq(read_ring(r.path, kAll0, kAll1).samples.size(), 1u);
}

Test(ring, a_slot_left_odd_is_a_torn_read_and_skipped)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	for (int t = 0; t < 5; ++t)
		cr_assert(w.append(sample(t)).ok);
	// Sample 2 "being written": seq 2*2+1.
	std::uint64_t odd = 5;
	poke(r.path, static_cast<off_t>(ring_slot_offset(2)), &odd, sizeof odd);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert(rd.ok);
	cr_assert_eq(rd.torn, 1u);
	cr_assert_eq(rd.samples.size(), 4u);
	for (const RingSample &s : rd.samples)
		cr_assert_neq(s.time, 2);
}

Test(ring, corrupt_header_is_refused_by_the_reader_and_recreated_by_the_writer)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	for (int t = 0; t < 3; ++t)
		cr_assert(w.append(sample(t)).ok);
	std::uint32_t bad = 7;
	poke(r.path, 20, &bad, sizeof bad); // slot count, checksum now wrong
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, r.path + ": header checksum mismatch"), "%s",
		  rd.error.c_str());
	RingWriter::Result a = w.append(sample(3));
	cr_assert(a.ok, "%s", a.error.c_str());
	cr_assert(contains(a.recreated, "header checksum mismatch"), "%s",
		  a.recreated.c_str());
	rd = read_ring(r.path, kAll0, kAll1);
	cr_assert(rd.ok, "%s", rd.error.c_str());
	cr_assert_eq(rd.samples.size(), 1u);
	cr_assert_eq(rd.samples[0].time, 3);
}

Test(ring, bad_magic_is_refused)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	cr_assert(w.append(sample(0)).ok);
	poke(r.path, 0, "XXXX", 4);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, "bad magic (not a slurm-pi ring)"), "%s",
		  rd.error.c_str());
}

Test(ring, truncated_file_is_refused_by_the_reader_and_recreated_by_the_writer)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	for (int t = 0; t < 3; ++t)
		cr_assert(w.append(sample(t)).ok);
	cr_assert_eq(truncate(r.path.c_str(), 100), 0);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, "size 100 bytes, expected 704"), "%s",
		  rd.error.c_str());
	cr_assert_eq(truncate(r.path.c_str(), 10), 0);
	rd = read_ring(r.path, kAll0, kAll1);
	cr_assert(contains(rd.error, "truncated: 10 bytes, shorter than the 64-byte header"),
		  "%s", rd.error.c_str());

	RingWriter::Result a = w.append(sample(3));
	cr_assert(a.ok, "%s", a.error.c_str());
	cr_assert(contains(a.recreated, "was damaged (size 10 bytes, expected 704 (truncated))"),
		  "%s", a.recreated.c_str());
	cr_assert_eq(file_size(r.path), static_cast<off_t>(ring_file_size(16)));
	cr_assert(read_ring(r.path, kAll0, kAll1).ok);
}

Test(ring, a_truncated_file_found_at_start_is_recreated)
{
	TmpRing r;
	std::ofstream(r.path) << "garbage";
	chmod(r.path.c_str(), 0644);
	RingWriter w(r.path, 16);
	RingWriter::Result a = w.append(sample(0));
	cr_assert(a.ok, "%s", a.error.c_str());
	cr_assert(contains(a.recreated, "was unusable (truncated: 7 bytes"), "%s",
		  a.recreated.c_str());
}

Test(ring, a_symlink_is_never_followed)
{
	TmpRing r;
	std::string target = r.dir.str() + "/target";
	std::ofstream(target) << "keep";
	cr_assert_eq(symlink(target.c_str(), r.path.c_str()), 0);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, "is a symbolic link; not followed"), "%s",
		  rd.error.c_str());

	RingWriter w(r.path, 16);
	RingWriter::Result a = w.append(sample(0));
	cr_assert(a.ok, "%s", a.error.c_str());
	cr_assert(contains(a.recreated, "symbolic link"), "%s", a.recreated.c_str());
	cr_assert_str_eq(slurp(target).c_str(), "keep");
	struct stat st;
	cr_assert_eq(lstat(r.path.c_str(), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
}

Test(ring, a_group_writable_file_is_not_trusted)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	cr_assert(w.append(sample(0)).ok);
	cr_assert_eq(chmod(r.path.c_str(), 0666), 0);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, "writable by group or others; not trusted"), "%s",
		  rd.error.c_str());
}

Test(ring, a_missing_file_is_a_clear_error)
{
	TmpRing r;
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_not(rd.ok);
	cr_assert(contains(rd.error, r.path + ": No such file or directory"), "%s",
		  rd.error.c_str());
}

// A writer and a reader at once: every sample the reader accepts is one the
// writer wrote whole (its fields agree with its time), in order. (A reader
// that is lapped while it reads skips the lapped slots, so its newest
// sample may be older than the one a previous read saw.) Bounded
// iterations, no timing.
Test(ring, concurrent_reader_sees_only_whole_samples)
{
	TmpRing r;
	RingWriter w(r.path, 16);
	cr_assert(w.append(sample(0)).ok);
	constexpr int kWrites = 20000;
	std::atomic<bool> done{false};
	std::atomic<int> bad{0}, reads{0}, seen{0};
	std::thread reader([&] {
		while (!done.load(std::memory_order_acquire) || reads.load() < 10) {
			RingRead rd = read_ring(r.path, kAll0, kAll1);
			reads.fetch_add(1);
			if (!rd.ok) {
				fprintf(stderr, "read: %s\n", rd.error.c_str());
				bad.fetch_add(1);
				continue;
			}
			for (const RingSample &s : rd.samples)
				if (!(s == sample(s.time))) {
					fprintf(stderr, "mismatch at %ld\n", (long)s.time);
					bad.fetch_add(1);
				}
			for (std::size_t i = 1; i < rd.samples.size(); ++i)
				if (rd.samples[i].time <= rd.samples[i - 1].time) {
					fprintf(stderr, "order at %zu\n", i);
					bad.fetch_add(1);
				}
			if (!rd.samples.empty())
				seen.fetch_add(1);
		}
	});
	for (int t = 1; t <= kWrites; ++t)
		if (RingWriter::Result a = w.append(sample(t)); !a.ok || !a.recreated.empty()) {
			fprintf(stderr, "append: %s %s\n", a.error.c_str(), a.recreated.c_str());
			bad.fetch_add(1);
		}
	done.store(true, std::memory_order_release);
	reader.join();
	cr_assert_eq(bad.load(), 0);
	cr_assert_geq(reads.load(), 10);
	cr_assert_gt(seen.load(), 0);
	RingRead rd = read_ring(r.path, kAll0, kAll1);
	cr_assert_eq(rd.samples.back().time, kWrites);
}
