#include <criterion/criterion.h>

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "common/vcio.hpp"
#include "tests/unit/fake_mailbox.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

// Acts as the firmware would: checks the request, writes a reply.
struct FakeFirmware {
	std::uint32_t value = 0x50005;
	std::uint32_t status = kMboxStatusSuccess;
	std::uint32_t tag_code = kMboxTagResponse | 4;
	std::uint32_t tag = kMboxTagGetThrottled;
	std::uint32_t size = 28;
	int err = 0;
	int calls = 0;
	std::uint32_t seen[8] = {};

	int operator()(std::uint32_t *w)
	{
		calls++;
		for (int i = 0; i < 8; i++)
			seen[i] = w[i];
		if (err)
			return err;
		w[0] = size;
		w[1] = status;
		w[2] = tag;
		w[4] = tag_code;
		w[5] = value;
		return 0;
	}
};

std::optional<std::uint32_t> ask(FakeFirmware &fw, std::string *why)
{
	return get_throttled_via([&fw](std::uint32_t *w) { return fw(w); },
				 why);
}

} // namespace

Test(vcio, request_layout)
{
	MboxBuffer buf;
	buf.w.fill(0xdeadbeef);
	build_get_throttled(buf);
	cr_assert_eq(alignof(MboxBuffer), 16u);
	cr_assert_eq(reinterpret_cast<std::uintptr_t>(buf.w.data()) % 16, 0u);
	cr_assert_eq(buf.w[0], 28u);
	cr_assert_eq(buf.w[1], 0u);
	cr_assert_eq(buf.w[2], 0x00030046u);
	cr_assert_eq(buf.w[3], 4u);
	cr_assert_eq(buf.w[4], 0u);
	cr_assert_eq(buf.w[5], 0u, "request value must clear no sticky bits");
	cr_assert_eq(buf.w[6], 0u);
	cr_assert_eq(buf.w[7], 0u);

	build_get_throttled(buf, 0xffff);
	cr_assert_eq(buf.w[5], 0xffffu);
}

Test(vcio, good_reply)
{
	FakeFirmware fw;
	std::string why;
	auto v = ask(fw, &why);
	cr_assert(v.has_value(), "%s", why.c_str());
	cr_assert_eq(*v, 0x50005u);
	cr_assert_eq(fw.calls, 1);
	cr_assert_eq(fw.seen[0], 28u);
	cr_assert_eq(fw.seen[2], kMboxTagGetThrottled);
	cr_assert_eq(fw.seen[5], 0u);

	fw.value = 0;
	v = ask(fw, nullptr);
	cr_assert(v.has_value() && *v == 0);
}

Test(vcio, error_response_code)
{
	FakeFirmware fw;
	fw.status = 0x80000001;
	std::string why;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(), "mailbox GET_THROTTLED: response code "
				      "0x80000001, expected 0x80000000");

	fw.status = 0; // firmware never touched the buffer
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(), "mailbox GET_THROTTLED: response code "
				      "0x00000000, expected 0x80000000");
}

Test(vcio, tag_response_bit_missing)
{
	FakeFirmware fw;
	fw.tag_code = 4;
	std::string why;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(),
			 "mailbox GET_THROTTLED: tag response bit not set "
			 "(0x00000004): firmware did not answer the tag");
}

Test(vcio, wrong_value_length)
{
	FakeFirmware fw;
	fw.tag_code = kMboxTagResponse | 8;
	std::string why;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(),
			 "mailbox GET_THROTTLED: value length 8, expected 4");

	fw.tag_code = kMboxTagResponse | 0;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(),
			 "mailbox GET_THROTTLED: value length 0, expected 4");
}

Test(vcio, wrong_tag_or_size)
{
	FakeFirmware fw;
	fw.tag = 0x00030047;
	std::string why;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(), "mailbox GET_THROTTLED: reply tag "
				      "0x00030047, expected 0x00030046");

	fw = FakeFirmware{};
	fw.size = 12;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(),
			 "mailbox GET_THROTTLED: reply size 12, expected 28");
}

Test(vcio, transfer_error)
{
	FakeFirmware fw;
	fw.err = EIO;
	std::string why;
	cr_assert(!ask(fw, &why).has_value());
	cr_assert_str_eq(why.c_str(),
			 "mailbox GET_THROTTLED: Input/output error");
	cr_assert(!ask(fw, nullptr).has_value());
}

Test(vcio, parse_without_transfer)
{
	MboxBuffer buf;
	build_get_throttled(buf);
	buf.w[1] = kMboxStatusSuccess;
	buf.w[4] = kMboxTagResponse | 4;
	buf.w[5] = 0xE000F;
	auto v = parse_get_throttled(buf, nullptr);
	cr_assert(v.has_value() && *v == 0xE000Fu);
}

Test(vcio, real_mailbox_without_device)
{
	ScratchDir scratch("slurmpi-vcio");
	const std::string &dir = scratch.str();
	VcioMailbox mb(dir);
	std::string why;
	cr_assert(!mb.get_throttled(&why).has_value());
	cr_assert_str_eq(why.c_str(), "/dev/vcio: No such file or directory");

	// Opened once: a device appearing later is not picked up.
	std::string dev = std::string(dir) + "/dev";
	cr_assert_eq(mkdir(dev.c_str(), 0755), 0);
	int fd = open((dev + "/vcio").c_str(), O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	why.clear();
	cr_assert(!mb.get_throttled(&why).has_value());
	cr_assert_str_eq(why.c_str(), "/dev/vcio: No such file or directory");
}

Test(vcio, real_mailbox_on_a_plain_file)
{
	// What a bind-mounted fake file at /dev/vcio looks like: opens, but
	// the ioctl is refused.
	ScratchDir scratch("slurmpi-vcio");
	const std::string &dir = scratch.str();
	std::string dev = std::string(dir) + "/dev";
	cr_assert_eq(mkdir(dev.c_str(), 0755), 0);
	int fd = open((dev + "/vcio").c_str(), O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);

	VcioMailbox mb(dir);
	std::string why;
	cr_assert(!mb.get_throttled(&why).has_value());
	// A kernel refuses it with ENOTTY; qemu-user (the arm64 and armhf
	// tests of the package build) with ENOSYS, for an ioctl it does not
	// know. Either way the message names the call and the reason.
	const bool qemu_errno = why.ends_with(": Function not implemented");
	cr_assert(qemu_errno || why == "/dev/vcio: mailbox GET_THROTTLED: "
				       "Inappropriate ioctl for device",
		  "%s", why.c_str());
	cr_assert(why.starts_with("/dev/vcio: mailbox GET_THROTTLED: "), "%s", why.c_str());
	cr_assert(!mb.get_throttled(nullptr).has_value());
}

Test(vcio, fake_mailbox)
{
	test::FakeMailbox fake;
	std::string why;
	cr_assert(!fake.get_throttled(&why).has_value());
	cr_assert_str_eq(why.c_str(), "fake mailbox: no value");
	fake.value = 0x50000;
	Mailbox &mb = fake;
	auto v = mb.get_throttled(&why);
	cr_assert(v.has_value() && *v == 0x50000u);
	cr_assert_eq(fake.calls, 2);
}
