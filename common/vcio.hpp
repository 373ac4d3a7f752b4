// The firmware mailbox seam: GET_THROTTLED through /dev/vcio.
//
// The mailbox is the only source of the full throttle word on current
// kernels (the legacy sysfs attribute is gone and hwmon rpi_volt only tells
// under-voltage). /dev/vcio needs privileges and exists only on a Pi, so the
// sampler takes a Mailbox* and tests pass a fake (tests/unit/fake_mailbox.hpp); the message
// encoding is tested through get_throttled_via() with a fake transfer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

class Mailbox {
public:
	virtual ~Mailbox() = default;
	// The throttle word, or nullopt with the reason in *reason (may be
	// null). Must not block for long, fork or throw.
	virtual std::optional<std::uint32_t> get_throttled(std::string *reason) = 0;
};

// Property interface constants (raspberrypi/linux
// include/soc/bcm2835/raspberrypi-firmware.h and the firmware wiki's
// "Mailbox property interface").
inline constexpr std::uint32_t kMboxTagGetThrottled = 0x00030046;
inline constexpr std::uint32_t kMboxStatusRequest = 0x00000000;
inline constexpr std::uint32_t kMboxStatusSuccess = 0x80000000;
// In a tag's third word: bit 31 set by the firmware when it handled the
// tag, bits 0-30 then hold the value length in bytes.
inline constexpr std::uint32_t kMboxTagResponse = 0x80000000;

// [size][status][tag][value buffer size][req/resp][value][end tag], padded
// to 8 words. The firmware DMAs 16-byte aligned buffers; vcio copies ours
// into its own, but keeping the alignment costs nothing.
inline constexpr std::uint32_t kThrottleMsgWords = 7;
struct alignas(16) MboxBuffer {
	std::array<std::uint32_t, 8> w{};
};

// Fill `buf` with a GET_THROTTLED request. The request value asks the
// firmware to clear sticky bits (the kernel's rpi_volt driver sends 0xffff
// for that); 0 is meant to clear nothing, so slurm-pi never hides an event
// from vcgencmd or the driver. That 0 clears nothing is inferred, not
// documented.
void build_get_throttled(MboxBuffer &buf, std::uint32_t clear_mask = 0);

// Check a reply and return the value, or nullopt with the reason.
std::optional<std::uint32_t> parse_get_throttled(const MboxBuffer &buf,
						 std::string *reason);

// One transfer: hands the buffer to the firmware and returns 0 or an errno.
using MboxTransfer = std::function<int(std::uint32_t *words)>;

// build + transfer + parse; the seam the real mailbox and the tests share.
std::optional<std::uint32_t> get_throttled_via(const MboxTransfer &transfer,
					       std::string *reason);

// The real mailbox: opens <root>/dev/vcio (O_RDWR|O_CLOEXEC) on first use
// and keeps it open. If the open fails the reason is kept and returned on
// every call without trying again: the device does not appear later and
// only root may open it.
class VcioMailbox final : public Mailbox {
public:
	explicit VcioMailbox(std::string_view root = "");
	~VcioMailbox() override;
	VcioMailbox(const VcioMailbox &) = delete;
	VcioMailbox &operator=(const VcioMailbox &) = delete;

	std::optional<std::uint32_t> get_throttled(std::string *reason) override;

private:
	std::string path_; // under the root, for open()
	int fd_ = -1;
	bool tried_ = false;
	std::string open_error_;
};

} // namespace slurmpi
