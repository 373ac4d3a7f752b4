#include "common/ring.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fs.hpp"

namespace slurmpi {

namespace {

constexpr std::size_t kChecksumOffset = 24;
// How often a reader retries a slot that is being written. The writer
// holds a slot for a few stores, so one retry nearly always does.
constexpr int kReadTries = 4;

// Slot field offsets.
constexpr std::size_t kSeq = 0, kTime = 8, kTemp = 16, kThr = 20, kKnown = 24,
		      kMhz = 28, kBand = 32;

std::uint32_t fnv1a(const unsigned char *p, std::size_t n)
{
	std::uint32_t h = 2166136261u;
	for (std::size_t i = 0; i < n; ++i) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

template <class T> T *at(unsigned char *base, std::size_t off)
{
	return reinterpret_cast<T *>(base + off);
}
template <class T> const T *at(const unsigned char *base, std::size_t off)
{
	return reinterpret_cast<const T *>(base + off);
}

std::uint32_t u32_at(const unsigned char *p, std::size_t off)
{
	std::uint32_t v;
	std::memcpy(&v, p + off, sizeof v);
	return v;
}

// The header at `p` (file of `size` bytes) is a version-1 ring with
// `expect_slots` slots (0: any): "" or what is wrong.
std::string check_header(const unsigned char *p, std::size_t size,
			 std::uint32_t expect_slots)
{
	if (size < kRingHeaderSize)
		return "truncated: " + std::to_string(size) +
		       " bytes, shorter than the " +
		       std::to_string(kRingHeaderSize) + "-byte header";
	if (std::memcmp(p, kRingMagic, sizeof kRingMagic) != 0)
		return "bad magic (not a slurm-pi ring)";
	if (u32_at(p, kChecksumOffset) != fnv1a(p, kChecksumOffset))
		return "header checksum mismatch";
	if (std::uint32_t v = u32_at(p, 8); v != kRingVersion)
		return "version " + std::to_string(v) + ", expected " +
		       std::to_string(kRingVersion);
	if (u32_at(p, 12) != kRingHeaderSize)
		return "header size " + std::to_string(u32_at(p, 12)) +
		       ", expected " + std::to_string(kRingHeaderSize);
	if (u32_at(p, 16) != kRingSlotSize)
		return "slot size " + std::to_string(u32_at(p, 16)) +
		       ", expected " + std::to_string(kRingSlotSize);
	std::uint32_t n = u32_at(p, 20);
	if (n < kRingMinSlots || n > kRingMaxSlots)
		return "slot count " + std::to_string(n) + " out of range " +
		       std::to_string(kRingMinSlots) + ".." +
		       std::to_string(kRingMaxSlots);
	if (expect_slots && n != expect_slots)
		return "slot count " + std::to_string(n) + ", configured " +
		       std::to_string(expect_slots);
	if (size != ring_file_size(n))
		return "size " + std::to_string(size) + " bytes, expected " +
		       std::to_string(ring_file_size(n)) + " for " +
		       std::to_string(n) + " slots (truncated or extended)";
	return {};
}

// Owner and type checks shared by writer and reader: "" or what is wrong.
std::string check_stat(const struct stat &st, bool root_ok)
{
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0))
		return "owned by uid " + std::to_string(st.st_uid) + ", not " +
		       std::to_string(geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (st.st_nlink != 1)
		return "has " + std::to_string(st.st_nlink) + " hard links";
	return {};
}

std::string open_error(int err)
{
	if (err == ELOOP)
		return "is a symbolic link; not followed";
	return errno_string(err);
}

} // namespace

std::uint32_t ring_slots(int hours, int poll_interval)
{
	if (poll_interval < 1)
		poll_interval = 1;
	if (hours < 0)
		hours = 0;
	std::uint64_t n = (static_cast<std::uint64_t>(hours) * 3600 +
			   static_cast<std::uint64_t>(poll_interval) - 1) /
			  static_cast<std::uint64_t>(poll_interval);
	return static_cast<std::uint32_t>(
		std::clamp<std::uint64_t>(n, kRingMinSlots, kRingMaxSlots));
}

// ---- Writer

RingWriter::RingWriter(std::string path, std::uint32_t slots)
	: path_(std::move(path)),
	  slots_(std::clamp(slots, kRingMinSlots, kRingMaxSlots))
{
}

RingWriter::~RingWriter() { unmap(); }

void RingWriter::unmap()
{
	if (map_)
		munmap(map_, ring_file_size(slots_));
	if (fd_ >= 0)
		close(fd_);
	map_ = nullptr;
	fd_ = -1;
}

std::string RingWriter::open_existing()
{
	int fd = open(path_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return open_error(errno);
	const std::size_t size = ring_file_size(slots_);
	struct stat st;
	std::string why;
	if (fstat(fd, &st) != 0)
		why = errno_string(errno);
	else
		why = check_stat(st, false);
	if (why.empty() && static_cast<std::size_t>(st.st_size) != size) {
		// Never map past the end of a file: read the header to say why.
		unsigned char h[kRingHeaderSize] = {};
		ssize_t got = pread(fd, h, sizeof h, 0);
		if (got < static_cast<ssize_t>(sizeof h))
			why = check_header(h, got < 0 ? 0 : static_cast<std::size_t>(got), 0);
		else if (check_header(h, static_cast<std::size_t>(st.st_size), 0).empty())
			// A sound ring of another size: PollInterval or RingHours
			// changed since it was made.
			resized_from_ = u32_at(h, 20);
		if (why.empty() || resized_from_)
			why = check_header(h, static_cast<std::size_t>(st.st_size), slots_);
		if (why.empty())
			why = "size " + std::to_string(st.st_size) + " bytes, expected " +
			      std::to_string(size);
	}
	void *m = MAP_FAILED;
	if (why.empty()) {
		m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			why = "mmap: " + errno_string(errno);
	}
	if (why.empty()) {
		auto *p = static_cast<unsigned char *>(m);
		why = check_header(p, size, slots_);
		std::uint64_t head = __atomic_load_n(
			at<std::uint64_t>(p, kRingHeadOffset), __ATOMIC_ACQUIRE);
		if (why.empty() && head > 0) {
			std::uint64_t last = head - 1;
			std::uint64_t seq = __atomic_load_n(
				at<std::uint64_t>(p, ring_slot_offset(static_cast<std::uint32_t>(
							     last % slots_))),
				__ATOMIC_ACQUIRE);
			if (seq != 2 * last + 2)
				why = "newest slot does not match the head";
		}
		if (!why.empty())
			munmap(m, size);
	}
	if (!why.empty()) {
		close(fd);
		return why;
	}
	fd_ = fd;
	map_ = static_cast<unsigned char *>(m);
	dev_ = st.st_dev;
	ino_ = st.st_ino;
	return {};
}

std::string RingWriter::create()
{
	std::string tmp = path_ + ".new";
	if (unlink(tmp.c_str()) != 0 && errno != ENOENT)
		return tmp + ": " + errno_string(errno);
	int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0644);
	if (fd < 0)
		return tmp + ": " + open_error(errno);
	std::size_t size = ring_file_size(slots_);
	std::string why;
	void *m = MAP_FAILED;
	if (fchmod(fd, 0644) != 0)
		why = "chmod: " + errno_string(errno);
	else if (ftruncate(fd, static_cast<off_t>(size)) != 0)
		why = "ftruncate: " + errno_string(errno);
	else if ((m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   0)) == MAP_FAILED)
		why = "mmap: " + errno_string(errno);
	if (why.empty()) {
		// Nobody can see the file yet: plain stores.
		auto *p = static_cast<unsigned char *>(m);
		std::memcpy(p, kRingMagic, sizeof kRingMagic);
		std::uint32_t fields[4] = {kRingVersion,
					   static_cast<std::uint32_t>(kRingHeaderSize),
					   static_cast<std::uint32_t>(kRingSlotSize),
					   slots_};
		std::memcpy(p + 8, fields, sizeof fields);
		std::uint32_t sum = fnv1a(p, kChecksumOffset);
		std::memcpy(p + kChecksumOffset, &sum, sizeof sum);
		if (rename(tmp.c_str(), path_.c_str()) != 0)
			why = "rename to " + path_ + ": " + errno_string(errno);
	}
	struct stat st;
	if (why.empty() && fstat(fd, &st) != 0)
		why = "fstat: " + errno_string(errno);
	if (!why.empty()) {
		if (m != MAP_FAILED)
			munmap(m, size);
		close(fd);
		unlink(tmp.c_str());
		return tmp + ": " + why;
	}
	fd_ = fd;
	map_ = static_cast<unsigned char *>(m);
	dev_ = st.st_dev;
	ino_ = st.st_ino;
	return {};
}

std::string RingWriter::check_mapped() const
{
	struct stat st;
	if (fstat(fd_, &st) != 0)
		return "fstat: " + errno_string(errno);
	// Before touching the mapping: a shrunk file would fault.
	if (static_cast<std::size_t>(st.st_size) != ring_file_size(slots_))
		return "size " + std::to_string(st.st_size) + " bytes, expected " +
		       std::to_string(ring_file_size(slots_)) + " (truncated)";
	struct stat now;
	if (lstat(path_.c_str(), &now) != 0)
		return errno == ENOENT ? std::string("removed")
				       : "lstat: " + errno_string(errno);
	if (now.st_dev != dev_ || now.st_ino != ino_)
		return "replaced by another file";
	return check_header(map_, ring_file_size(slots_), slots_);
}

RingWriter::Result RingWriter::append(const RingSample &s)
{
	Result res;
	// Remove what is at the path (unless nothing is) and make a new ring;
	// false with res.error set when that fails.
	auto replace = [&](const std::string &why, bool missing) {
		if (!missing && unlink(path_.c_str()) != 0 && errno != ENOENT) {
			res.error = path_ + ": " + why + "; cannot remove it: " +
				    errno_string(errno);
			return false;
		}
		res.error = create();
		return res.error.empty();
	};
	if (!map_) {
		resized_from_ = 0;
		std::string why = open_existing();
		if (!why.empty()) {
			// A missing file is the normal first start.
			bool missing = why == errno_string(ENOENT);
			if (!replace(why, missing))
				return res;
			if (missing)
				res.recreated = "created";
			else if (resized_from_)
				res.resized_from = resized_from_;
			else
				res.recreated = "was unusable (" + why + "); recreated";
		}
	} else if (std::string why = check_mapped(); !why.empty()) {
		unmap();
		if (!replace(why, false))
			return res;
		res.recreated = "was damaged (" + why + "); recreated";
	}

	auto *head_p = at<std::uint64_t>(map_, kRingHeadOffset);
	std::uint64_t i = __atomic_load_n(head_p, __ATOMIC_RELAXED);
	unsigned char *slot = map_ + ring_slot_offset(static_cast<std::uint32_t>(i % slots_));
	auto *seq = at<std::uint64_t>(slot, kSeq);
	__atomic_store_n(seq, 2 * i + 1, __ATOMIC_RELAXED);
	// The odd sequence is visible before any of the data changes.
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(at<std::int64_t>(slot, kTime), s.time, __ATOMIC_RELAXED);
	__atomic_store_n(at<std::int32_t>(slot, kTemp), s.temp_mc, __ATOMIC_RELAXED);
	__atomic_store_n(at<std::uint32_t>(slot, kThr), s.throttled, __ATOMIC_RELAXED);
	__atomic_store_n(at<std::uint32_t>(slot, kKnown), s.throttled_known,
			 __ATOMIC_RELAXED);
	__atomic_store_n(at<std::int32_t>(slot, kMhz), s.cur_mhz, __ATOMIC_RELAXED);
	__atomic_store_n(at<std::uint8_t>(slot, kBand), s.band, __ATOMIC_RELAXED);
	__atomic_store_n(seq, 2 * i + 2, __ATOMIC_RELEASE);
	__atomic_store_n(head_p, i + 1, __ATOMIC_RELEASE);
	res.ok = true;
	return res;
}

// ---- Reader

namespace {

struct Mapping {
	const unsigned char *p = nullptr;
	std::size_t size = 0;
	~Mapping()
	{
		if (p)
			munmap(const_cast<unsigned char *>(p), size);
	}
};

} // namespace

RingRead read_ring(const std::string &path, std::int64_t since,
		   std::int64_t until)
{
	RingRead res;
	auto fail = [&](const std::string &why) {
		res.error = path + ": " + why;
		return res;
	};
	int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(open_error(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return fail(errno_string(e));
	}
	if (std::string why = check_stat(st, true); !why.empty()) {
		close(fd);
		return fail(why + "; not trusted");
	}
	std::size_t size = static_cast<std::size_t>(st.st_size);
	if (size < kRingHeaderSize) {
		close(fd);
		return fail(check_header(nullptr, size, 0));
	}
	Mapping m;
	void *p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return fail("mmap: " + errno_string(e));
	m.p = static_cast<const unsigned char *>(p);
	m.size = size;
	if (std::string why = check_header(m.p, size, 0); !why.empty())
		return fail(why);

	std::uint32_t n = u32_at(m.p, 20);
	res.slots = n;
	std::uint64_t head = __atomic_load_n(at<std::uint64_t>(m.p, kRingHeadOffset),
					     __ATOMIC_ACQUIRE);
	res.head = head;
	std::uint64_t first = head > n ? head - n : 0;
	for (std::uint64_t i = first; i < head; ++i) {
		const unsigned char *slot =
			m.p + ring_slot_offset(static_cast<std::uint32_t>(i % n));
		const auto *seq = at<std::uint64_t>(slot, kSeq);
		const std::uint64_t want = 2 * i + 2;
		bool done = false, torn = false;
		for (int t = 0; t < kReadTries && !done; ++t) {
			std::uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
			if (s1 > want) {
				done = true; // lapped: a newer sample took the slot
				torn = false;
				break;
			}
			if (s1 != want) {
				torn = true; // being written, or never completed
				continue;
			}
			RingSample s;
			s.time = __atomic_load_n(at<std::int64_t>(slot, kTime), __ATOMIC_RELAXED);
			s.temp_mc = __atomic_load_n(at<std::int32_t>(slot, kTemp), __ATOMIC_RELAXED);
			s.throttled = __atomic_load_n(at<std::uint32_t>(slot, kThr), __ATOMIC_RELAXED);
			s.throttled_known = __atomic_load_n(at<std::uint32_t>(slot, kKnown),
							    __ATOMIC_RELAXED);
			s.cur_mhz = __atomic_load_n(at<std::int32_t>(slot, kMhz), __ATOMIC_RELAXED);
			s.band = __atomic_load_n(at<std::uint8_t>(slot, kBand), __ATOMIC_RELAXED);
			// The data loads complete before the second look at seq.
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(seq, __ATOMIC_RELAXED) != s1) {
				torn = true;
				continue;
			}
			done = true;
			torn = false;
			if (s.time >= since && s.time <= until)
				res.samples.push_back(s);
		}
		if (!done && torn)
			++res.torn;
	}
	res.ok = true;
	return res;
}

} // namespace slurmpi
