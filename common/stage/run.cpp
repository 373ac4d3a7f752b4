#include "common/stage/run.hpp"

#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>

#include "common/stage/resolve.hpp"

namespace slurmpi::stage {

namespace {

// The allowed roots, each opened (open_root) the first time an item needs
// it: a root that is down fails only the items beneath it.
class Roots {
public:
	explicit Roots(const std::vector<std::string> &names) : names_(names), open_(names.size()) {}

	// The longest root that contains the absolute `path`: its index and
	// `path` relative to it; -1 when no root does.
	int find(const std::string &path, std::string *rel) const
	{
		int best = -1;
		for (std::size_t i = 0; i < names_.size(); ++i) {
			std::string r = relative_beneath(names_[i], path);
			if (r.empty())
				continue;
			if (best < 0 || names_[i].size() > names_[static_cast<std::size_t>(best)].size()) {
				best = static_cast<int>(i);
				*rel = std::move(r);
			}
		}
		return best;
	}

	// Root `i`, opened; its error when it cannot be.
	Error get(int i, Root *out)
	{
		auto &slot = open_[static_cast<std::size_t>(i)];
		if (!slot)
			slot = open_root(names_[static_cast<std::size_t>(i)]);
		if (!slot->ok())
			return slot->error;
		*out = Root{slot->fd.get(), names_[static_cast<std::size_t>(i)]};
		return Error{};
	}

private:
	const std::vector<std::string> &names_;
	std::vector<std::optional<OpenResult>> open_;
};

void add_stats(CacheStats *a, const CacheStats &b)
{
	a->hits += b.hits;
	a->misses += b.misses;
	a->bypasses += b.bypasses;
	a->errors += b.errors;
	a->bytes_saved += b.bytes_saved;
	a->bytes_fetched += b.bytes_fetched;
}

// One UserCache per copy worker that stages at that moment: a UserCache is
// one thread's at a time (its counters are plain), and a mutex around one
// shared object would make a cold stage of many small files wait for each
// file in turn. A worker takes a free cache (or opens one more for the
// same user) for one file and gives it back; the counters are summed at
// the end, when every cache is back.
class CachePool {
public:
	CachePool(CacheConfig cfg, uid_t uid, UserCache first) : cfg_(std::move(cfg)), uid_(uid)
	{
		all_.push_back(std::make_unique<UserCache>(std::move(first)));
		free_.push_back(all_.back().get());
	}

	// A cache for this thread alone, or nullptr (and why) when no more
	// can be opened.
	UserCache *take(std::string *why)
	{
		std::lock_guard<std::mutex> g(mu_);
		if (!free_.empty()) {
			UserCache *c = free_.back();
			free_.pop_back();
			return c;
		}
		std::optional<UserCache> c = UserCache::open(cfg_, uid_, why);
		if (!c)
			return nullptr;
		all_.push_back(std::make_unique<UserCache>(std::move(*c)));
		return all_.back().get();
	}

	void give(UserCache *c)
	{
		std::lock_guard<std::mutex> g(mu_);
		free_.push_back(c);
	}

	// A stage done without a cache object (counted here instead).
	void count(const CacheResult &r)
	{
		std::lock_guard<std::mutex> g(mu_);
		extra_.add(r);
	}

	// Everything counted; call when no worker runs.
	CacheStats stats()
	{
		std::lock_guard<std::mutex> g(mu_);
		CacheStats s = extra_;
		for (const auto &c : all_)
			add_stats(&s, c->stats());
		return s;
	}

private:
	CacheConfig cfg_;
	uid_t uid_;
	std::mutex mu_;
	std::vector<std::unique_ptr<UserCache>> all_;
	std::vector<UserCache *> free_;
	CacheStats extra_;
};

// The copy engine's file hook that stages each regular file through the
// cache: keyed from the open source fd (fstat only), so a hit reads
// nothing from the share; a miss fills the entry through the engine's own
// copy (`fill`), as the user, with the engine's limit, deadline and cancel
// checks.
FileHook cache_hook(CachePool &pool, uid_t uid)
{
	return [&pool, uid](int src_fd, const SourceFile &sf, int dst_dirfd,
			    const std::string &dst_name, const std::string &src_path,
			    const std::string &dst_path, const FillFn &fill) -> Error {
		// The engine has recorded why a fill failed; this text is only
		// what the cache passes back.
		FetchFn fetch = [&fill](int fd) -> std::string {
			return fill(fd) ? std::string() : std::string("not copied");
		};
		std::string why;
		std::optional<CacheKey> key = key_of(src_fd, uid, src_path, &why);
		CacheResult res;
		if (!key) {
			// Not cacheable (key_of says why): placed as the engine
			// would, with the source's mode and times.
			CacheKey k;
			k.uid = uid;
			k.size = sf.size;
			k.atime_ns = sf.atime_ns;
			k.mtime_ns = sf.mtime_ns;
			k.mode = static_cast<mode_t>(sf.mode & 07777);
			k.path = src_path;
			res = fetch_direct(k, fetch, dst_dirfd, dst_name, why);
			pool.count(res);
		} else if (UserCache *c = pool.take(&why)) {
			res = c->stage(*key, fetch, dst_dirfd, dst_name);
			pool.give(c);
		} else {
			res = fetch_direct(*key, fetch, dst_dirfd, dst_name, why);
			pool.count(res);
		}
		if (res.error.empty())
			return Error{};
		if (res.fetch_failed)
			return make_error(ErrorKind::io, src_path, res.error);
		// The source changed between keying and reading: as the engine
		// says of a file that changes during the copy.
		if (res.err == EAGAIN)
			return make_error(ErrorKind::not_found, src_path, res.error, res.err);
		return make_error(res.err ? kind_of_errno(res.err) : ErrorKind::io, dst_path,
				  res.error, res.err);
	};
}

void add_stats(CopyStats *a, const CopyStats &b)
{
	a->files += b.files;
	a->directories += b.directories;
	a->symlinks += b.symlinks;
	a->skipped += b.skipped;
	a->bytes += b.bytes;
	a->seconds += b.seconds;
}

// The run's size limit and what the items so far used of it.
class Budget {
public:
	explicit Budget(std::uint64_t max) : max_(max) {}

	// The copy options of the next item: its limit is what is left. The
	// engine reads 0 as no limit, so an exhausted budget is given as 1
	// byte, and taken() refuses an item that used it.
	CopyOptions options(const CopyOptions &base) const
	{
		CopyOptions o = base;
		o.max_bytes = 0;
		if (max_)
			o.max_bytes = used_ < max_ ? max_ - used_ : 1;
		return o;
	}

	// Counts an item's bytes; a limit error when the run is over the
	// limit, or the engine's own limit error said in the run's terms.
	Error taken(const std::string &item, const CopyResult &c)
	{
		const std::uint64_t before = used_;
		used_ += c.stats.bytes;
		if (!max_)
			return c.error;
		const bool engine_limit = c.error.kind == ErrorKind::limit && c.error.err == 0;
		if ((c.error.ok() && used_ > max_) || (engine_limit && before > 0))
			return make_error(ErrorKind::limit, item,
					  "with the items before it (" + std::to_string(before) +
						  " bytes), more than the size limit of " +
						  human_bytes(static_cast<double>(max_)) + " (" +
						  std::to_string(max_) + " bytes); stopped");
		return c.error;
	}

private:
	std::uint64_t max_;
	std::uint64_t used_ = 0;
};

void take_warnings(RunResult *r, CopyResult &c, std::size_t max)
{
	for (auto &w : c.warnings) {
		if (r->warnings.size() < max)
			r->warnings.push_back(std::move(w));
		else
			++r->warnings_dropped;
	}
	r->warnings_dropped += c.warnings_dropped;
}

Error open_scratch(const std::string &scratch, OpenResult *out, Root *root)
{
	*out = open_root(scratch);
	if (!out->ok())
		return out->error;
	*root = Root{out->fd.get(), scratch};
	return Error{};
}

Error outside_roots(const std::string &path)
{
	return make_error(ErrorKind::escape, path, "not beneath any of the allowed roots");
}

RunResult stage_in(const std::vector<std::string> &roots, const std::vector<StageItem> &items,
		   const std::string &scratch, const RunOptions &options)
{
	RunResult r;
	if (items.empty())
		return r;
	OpenResult scratch_fd;
	Root dst;
	r.error = open_scratch(scratch, &scratch_fd, &dst);
	if (!r.error.ok())
		return r;

	std::unique_ptr<CachePool> pool;
	if (options.cache) {
		std::string why;
		std::optional<UserCache> c = UserCache::open(*options.cache, options.uid, &why);
		if (c)
			pool = std::make_unique<CachePool>(*options.cache, options.uid,
							   std::move(*c));
		else
			r.cache_note = why.empty() ? "the cache could not be opened" : why;
	}

	Roots open(roots);
	Budget budget(options.max_bytes);
	for (const StageItem &item : items) {
		std::string rel;
		int i = open.find(item.src, &rel);
		Root src;
		Error e = i < 0 ? outside_roots(item.src) : open.get(i, &src);
		if (e.ok()) {
			CopyOptions o = budget.options(options.copy);
			if (pool)
				o.file_hook = cache_hook(*pool, options.uid);
			CopyResult c = copy_beneath(src, rel, dst, item.dst, o);
			add_stats(&r.stats, c.stats);
			take_warnings(&r, c, options.copy.max_warnings);
			e = budget.taken(item.src, c);
		}
		if (!e.ok()) {
			r.error = std::move(e);
			r.item = item.src;
			break;
		}
	}
	if (pool)
		r.cache = pool->stats();
	return r;
}

// "slurm-pi stage: " of stage_message(): the engine's messages have no
// prefix (the plugin adds its own).
std::string without_stage_prefix(const std::string &message)
{
	const std::string marker = stage_message("\x01", "");
	const std::string prefix = marker.substr(0, marker.find('\x01'));
	if (message.compare(0, prefix.size(), prefix) == 0)
		return message.substr(prefix.size());
	return message;
}

RunResult stage_out(const std::vector<std::string> &roots, const std::vector<StageItem> &items,
		    const std::string &scratch, std::string_view node, std::uint32_t nnodes,
		    const RunOptions &options)
{
	RunResult r;
	if (items.empty())
		return r;
	OpenResult scratch_fd;
	Root src;
	r.error = open_scratch(scratch, &scratch_fd, &src);
	if (!r.error.ok())
		return r;

	Roots open(roots);
	Budget budget(options.max_bytes);
	for (const StageItem &item : items) {
		Error e;
		StagePath dest = stage_out_destination(item, node, nnodes, show_path(item.dst));
		std::string rel;
		int i = -1;
		Root dst;
		if (!dest.ok())
			e = Error{ErrorKind::invalid, 0, without_stage_prefix(dest.error)};
		else if ((i = open.find(dest.path, &rel)) < 0)
			e = outside_roots(dest.path);
		else
			e = open.get(i, &dst);
		if (e.ok()) {
			// A rerun of the job overwrites its own earlier results.
			CopyOptions o = budget.options(options.copy);
			o.merge = true;
			o.file_hook = nullptr;
			// "." is the scratch directory itself ("" to the resolver,
			// so that messages show the scratch path as it is).
			CopyResult c = copy_beneath(src, item.src == "." ? "" : item.src, dst, rel, o);
			add_stats(&r.stats, c.stats);
			take_warnings(&r, c, options.copy.max_warnings);
			e = budget.taken(item.src, c);
		}
		if (!e.ok()) {
			r.error = std::move(e);
			r.item = item.src;
			break;
		}
	}
	return r;
}

RunResult internal_error(std::string_view what, const char *why)
{
	RunResult r;
	r.error = make_error(ErrorKind::internal, what, why);
	return r;
}

} // namespace

RunResult run_stage_in(const std::vector<std::string> &roots,
		       const std::vector<StageItem> &items, const std::string &scratch,
		       const RunOptions &options)
{
	try {
		return stage_in(roots, items, scratch, options);
	} catch (const std::exception &e) {
		return internal_error("stage-in", e.what());
	} catch (...) {
		return internal_error("stage-in", "unexpected failure");
	}
}

RunResult run_stage_out(const std::vector<std::string> &roots,
			const std::vector<StageItem> &items, const std::string &scratch,
			std::string_view node, std::uint32_t nnodes,
			const RunOptions &options)
{
	try {
		return stage_out(roots, items, scratch, node, nnodes, options);
	} catch (const std::exception &e) {
		return internal_error("stage-out", e.what());
	} catch (...) {
		return internal_error("stage-out", "unexpected failure");
	}
}

} // namespace slurmpi::stage
