// A Mailbox for the unit tests: no /dev/vcio, no firmware.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/vcio.hpp"

namespace slurmpi::test {

// Returns `value` if set, else fails with `error`. Counts calls.
class FakeMailbox final : public Mailbox {
public:
	std::optional<std::uint32_t> value;
	std::string error = "fake mailbox: no value";
	int calls = 0;

	std::optional<std::uint32_t> get_throttled(std::string *reason) override
	{
		calls++;
		if (!value && reason)
			*reason = error;
		return value;
	}
};

} // namespace slurmpi::test
