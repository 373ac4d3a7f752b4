// The node's sample ring: the last hours of sensor samples in a small
// memory-mapped file, <SlurmdSpoolDir>/slurm-pi.ring. task/pi's sampler in
// slurmd is the one writer (a slot per PollInterval); slurmstepd reads it at
// step end for per-step thermal accounting.
//
// File layout (version 1, little or big endian as the host: the file never
// leaves the node), all fields naturally aligned:
//
//   header, kRingHeaderSize = 64 bytes
//     0  char[8]  magic "SLPIRING"
//     8  u32      version (kRingVersion)
//    12  u32      header size (64)
//    16  u32      slot size (kRingSlotSize = 40)
//    20  u32      slot count N
//    24  u32      checksum: FNV-1a 32 of bytes 0..23
//    28  u32      zero
//    32  u64      head: number of samples ever written; sample i lives in
//                 slot i % N (atomic, release after the slot is complete)
//    40  24 bytes zero
//   then N slots of kRingSlotSize = 40 bytes
//     0  u64      seq: 2*i+1 while sample i is being written, 2*i+2 once
//                 it is complete (a per-slot seqlock that also names the
//                 sample, so a reader can tell a lapped slot from its own)
//     8  i64      time, seconds since the epoch
//    16  i32      temperature in milli-degrees C (kRingNoTemp: unknown)
//    20  u32      throttle word
//    24  u32      the bits of the throttle word the source knows
//    28  i32      current ARM clock in MHz (0: unknown)
//    32  u8       band (Band's value), then 7 bytes zero
//
// Total size: 64 + 40 * N bytes. N = RingHours * 3600 / PollInterval,
// clamped to [kRingMinSlots, kRingMaxSlots]: 4 h at the default 10 s poll
// is 1440 slots, 57,664 bytes; the cap of 17,280 slots is 691,264 bytes.
//
// Concurrency: one writer (slurmd's sampler thread); any number of readers
// that map the file read-only and never take a lock, so a reader cannot
// block the writer. A sample the writer was changing while it was read is
// detected (seq odd or changed across the read) and retried, then skipped.
//
// Damage: the writer checks the header and the file size before every
// write, and replaces a file that is not exactly what it would write (bad
// magic, version, sizes, checksum, owner, type, truncated) by a fresh one
// (write to <path>.new, rename over the path; never following a symlink).
// A reader refuses such a file with a message that says what is wrong.
// The writer replaces, it never truncates, a file in place; a file truncated
// by someone else while a reader has it mapped can still make that reader
// fault, which only root can cause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace slurmpi {

inline constexpr char kRingMagic[8] = {'S', 'L', 'P', 'I', 'R', 'I', 'N', 'G'};
inline constexpr std::uint32_t kRingVersion = 1;
inline constexpr std::size_t kRingHeaderSize = 64;
inline constexpr std::size_t kRingSlotSize = 40;
inline constexpr std::size_t kRingHeadOffset = 32;
inline constexpr std::uint32_t kRingMinSlots = 16;
inline constexpr std::uint32_t kRingMaxSlots = 17280;
inline constexpr std::int32_t kRingNoTemp = INT32_MIN;
// The ring's file name in SlurmdSpoolDir.
inline constexpr const char *kRingFileName = "slurm-pi.ring";

// Slots for `hours` of samples every `poll_interval` seconds, clamped.
std::uint32_t ring_slots(int hours, int poll_interval);

// File size of a ring with `slots` slots.
inline std::size_t ring_file_size(std::uint32_t slots)
{
	return kRingHeaderSize + kRingSlotSize * static_cast<std::size_t>(slots);
}

// Offset of slot `index` (0..N-1) in the file.
inline std::size_t ring_slot_offset(std::uint32_t index)
{
	return kRingHeaderSize + kRingSlotSize * static_cast<std::size_t>(index);
}

// One sample as the ring keeps it.
struct RingSample {
	std::int64_t time = 0;
	std::int32_t temp_mc = kRingNoTemp;
	std::uint32_t throttled = 0;
	std::uint32_t throttled_known = 0;
	std::int32_t cur_mhz = 0;
	std::uint8_t band = 0;

	bool operator==(const RingSample &) const = default;
};

// The writer. Not thread-safe: one per process, used by one thread.
class RingWriter {
public:
	RingWriter(std::string path, std::uint32_t slots);
	~RingWriter();
	RingWriter(const RingWriter &) = delete;
	RingWriter &operator=(const RingWriter &) = delete;

	struct Result {
		bool ok = false;
		std::string error;     // when !ok: what failed, naming the path
		std::string recreated; // not empty: the file was (re)created, and why
		// Not 0: a sound ring of this many slots was replaced by one of
		// the configured size (PollInterval or RingHours changed): not
		// damage, and `recreated` stays empty.
		std::uint32_t resized_from = 0;
	};

	// Write one sample. Opens or creates the file on first use, checks it
	// before every write and recreates it when damaged. Never throws
	// (beyond std::bad_alloc).
	Result append(const RingSample &s);

	const std::string &path() const { return path_; }
	std::uint32_t slots() const { return slots_; }

private:
	// Map a valid existing file (empty) or say why it is not usable.
	std::string open_existing();
	// Create a fresh file at path_ and map it; "" or the error.
	std::string create();
	// The mapped file still is what we wrote: "" or why not.
	std::string check_mapped() const;
	void unmap();

	std::string path_;
	std::uint32_t slots_;
	int fd_ = -1;
	unsigned char *map_ = nullptr;
	std::uint64_t dev_ = 0, ino_ = 0;
	std::uint32_t resized_from_ = 0; // set by open_existing()
};

struct RingRead {
	bool ok = false;
	std::string error; // when !ok, e.g. "/x/slurm-pi.ring: bad magic (not a slurm-pi ring)"
	std::uint32_t slots = 0;
	std::uint64_t head = 0;
	// Complete samples with time in [since, until], oldest first.
	std::vector<RingSample> samples;
	// Slots that were being written (or never completed) on every try:
	// skipped, whatever their time.
	std::uint32_t torn = 0;
};

// Read the ring at `path`: only samples with `since` <= time <= `until`.
// Never writes, never locks; retries a slot being written a few times.
RingRead read_ring(const std::string &path, std::int64_t since,
		   std::int64_t until);

} // namespace slurmpi
