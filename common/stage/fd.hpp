// An owned file descriptor for the staging engine: closed when it goes out
// of scope, never twice. Header only.
#pragma once

#include <unistd.h>

#include <utility>

namespace slurmpi::stage {

class UniqueFd {
public:
	UniqueFd() = default;
	// Takes ownership of `fd` (-1 = none).
	explicit UniqueFd(int fd) : fd_(fd) {}
	~UniqueFd() { reset(); }
	UniqueFd(UniqueFd &&o) noexcept : fd_(o.release()) {}
	UniqueFd &operator=(UniqueFd &&o) noexcept
	{
		if (this != &o)
			reset(o.release());
		return *this;
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;

	int get() const { return fd_; }
	bool valid() const { return fd_ >= 0; }
	// Gives up ownership: the caller closes what it returns.
	int release() { return std::exchange(fd_, -1); }
	// Closes the fd held (if any) and holds `fd` instead.
	void reset(int fd = -1)
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

} // namespace slurmpi::stage
