// A GpioLines for tests: records every write, and can be told to fail.
#pragma once

#include <string>
#include <vector>

#include "common/gpio.hpp"

class FakeGpio final : public slurmpi::GpioLines {
public:
	struct Write {
		slurmpi::GpioRole role;
		bool on;
	};

	FakeGpio(bool led, bool fan) : has_{led, fan} {}

	bool has(slurmpi::GpioRole r) const override
	{
		return has_[static_cast<int>(r)];
	}
	bool set(slurmpi::GpioRole r, bool on, std::string *why) override
	{
		if (!has(r) || fail_[static_cast<int>(r)]) {
			if (why)
				*why = std::string(slurmpi::gpio_role_key(r)) +
				       ": fake failure";
			return false;
		}
		writes.push_back({r, on});
		level_[static_cast<int>(r)] = on;
		return true;
	}

	void fail(slurmpi::GpioRole r, bool f) { fail_[static_cast<int>(r)] = f; }
	bool level(slurmpi::GpioRole r) const { return level_[static_cast<int>(r)]; }
	std::size_t count(slurmpi::GpioRole r) const
	{
		std::size_t n = 0;
		for (const Write &w : writes)
			n += w.role == r;
		return n;
	}

	std::vector<Write> writes;

private:
	bool has_[2];
	bool fail_[2] = {false, false};
	bool level_[2] = {false, false};
};
