#include "common/vcio.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "common/text.hpp"

namespace slurmpi {

namespace {

// drivers/char/broadcom/vcio.c: IOCTL_MBOX_PROPERTY.
const unsigned long kIoctlMboxProperty = _IOWR(100, 0, char *);

// Messages name the machine path, whatever the root.
const char kDevice[] = "/dev/vcio";

// Fixed width reads better next to the expected constants.
std::string hex32(std::uint32_t v)
{
	return "0x" + hex(v, 8);
}

std::optional<std::uint32_t> fail(std::string *reason, std::string why)
{
	if (reason)
		*reason = std::move(why);
	return std::nullopt;
}

} // namespace

void build_get_throttled(MboxBuffer &buf, std::uint32_t clear_mask)
{
	buf.w.fill(0);
	buf.w[0] = kThrottleMsgWords * 4;
	buf.w[1] = kMboxStatusRequest;
	buf.w[2] = kMboxTagGetThrottled;
	buf.w[3] = 4;
	buf.w[4] = 0;
	buf.w[5] = clear_mask;
	buf.w[6] = 0;
}

std::optional<std::uint32_t> parse_get_throttled(const MboxBuffer &buf,
						 std::string *reason)
{
	const std::string what = "mailbox GET_THROTTLED: ";
	// vcio hands back the caller's size word untouched; anything else
	// means the buffer is not our reply.
	if (buf.w[0] != kThrottleMsgWords * 4)
		return fail(reason, what + "reply size " + std::to_string(buf.w[0]) +
			    ", expected " + std::to_string(kThrottleMsgWords * 4));
	if (buf.w[1] != kMboxStatusSuccess)
		return fail(reason, what + "response code " + hex32(buf.w[1]) +
			    ", expected " + hex32(kMboxStatusSuccess));
	if (buf.w[2] != kMboxTagGetThrottled)
		return fail(reason, what + "reply tag " + hex32(buf.w[2]) +
			    ", expected " + hex32(kMboxTagGetThrottled));
	// Firmware that does not know the tag leaves the response bit clear.
	if (!(buf.w[4] & kMboxTagResponse))
		return fail(reason, what + "tag response bit not set (" +
			    hex32(buf.w[4]) + "): firmware did not answer the tag");
	std::uint32_t len = buf.w[4] & ~kMboxTagResponse;
	if (len != 4)
		return fail(reason, what + "value length " + std::to_string(len) +
			    ", expected 4");
	return buf.w[5];
}

std::optional<std::uint32_t> get_throttled_via(const MboxTransfer &transfer,
					       std::string *reason)
{
	MboxBuffer buf;
	build_get_throttled(buf);
	if (int err = transfer(buf.w.data()))
		return fail(reason, "mailbox GET_THROTTLED: " + errno_string(err));
	return parse_get_throttled(buf, reason);
}

VcioMailbox::VcioMailbox(std::string_view root)
	: path_(join_root(root, kDevice))
{
}

VcioMailbox::~VcioMailbox()
{
	if (fd_ >= 0)
		::close(fd_);
}

std::optional<std::uint32_t> VcioMailbox::get_throttled(std::string *reason)
{
	if (!tried_) {
		tried_ = true;
		fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd_ < 0)
			open_error_ = std::string(kDevice) + ": " + errno_string(errno);
	}
	if (fd_ < 0)
		return fail(reason, open_error_);
	int fd = fd_;
	auto r = get_throttled_via(
		[fd](std::uint32_t *words) {
			if (::ioctl(fd, kIoctlMboxProperty, words) == 0)
				return 0;
			return errno ? errno : EIO;
		},
		reason);
	if (!r && reason)
		*reason = std::string(kDevice) + ": " + *reason;
	return r;
}

} // namespace slurmpi
