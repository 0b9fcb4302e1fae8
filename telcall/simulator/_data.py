"""Deterministic synthetic TEL4VN CDRs, generated on demand from `(seed, index)`.

Nothing is materialised per CDR: a record is recomputed from a 64-bit hash of its index each time
it is served, so a million-CDR dataset costs a few bytes. Decisions where the seeds are silent:

- Base CDR `i` of `n` starts at `start + i * span // n` (whole seconds), so start times are
  monotonic in the index and a time range maps to an index range by arithmetic.
- CDRs inserted later ("late" CDRs) get the next indexes and an explicit start time; they live in
  one sorted `(time, index)` list, merged with the base sequence on the fly. Order everywhere is
  ascending `time_started`, ties by index.
- Times are naive `YYYY-MM-DD HH:MM:SS` in Asia/Ho_Chi_Minh, which has had no DST since 1975, so
  a fixed +07:00 offset is exact.
- The id's last group is the index, scrambled by an invertible multiply and a seed mask, and so
  is the sip_call_id's (another mask), which makes lookups O(1); the other groups are hash bits.
- Mix: 55% outbound (hotline → mobile), 40% inbound (mobile → hotline), 5% local (ext → ext).
  Statuses: answered 60%, no-answered 14%, busy 12%, cancel 7%, not-available 5%, invalid 2%.
  Only answered calls have billsec, `time_answered` and a recording.
- Default-mapping quirks, as in the documented sample: statuses are always upper case and
  `time_answered` is always `""` when unanswered; per record by hash, `direction` is the integer 3
  (~5%), the id has a trailing space (~2%), and an undocumented `hangup_by` field appears (~3%).
- Flex mapping statuses are lower case; `mixed` serves even indexes in the default mapping and
  odd ones in flex.
"""

from __future__ import annotations

import bisect
import functools
import random
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

__all__ = (
    "DEFAULT_END",
    "DEFAULT_START",
    "PHONE_PATTERN",
    "VN",
    "CdrFilter",
    "CdrStore",
    "Key",
    "Mapping",
    "cdr_page_bytes",
    "format_vn",
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_START = datetime(2026, 11, 1, tzinfo=VN)
DEFAULT_END = datetime(2026, 11, 8, tzinfo=VN)
PHONE_PATTERN = r"^(84|0[3|5|7|8|9])+([0-9]{8})$"

Mapping = Literal["default", "flex", "mixed"]

_VN_OFFSET = 7 * 3600
_M64 = (1 << 64) - 1
_M48 = (1 << 48) - 1
# An odd multiplier is a bijection mod 2**48: id tails look random yet invert to the index.
_SCRAMBLE = 0x5DEECE66D
_UNSCRAMBLE = pow(_SCRAMBLE, -1, 1 << 48)

# Viettel, Vinaphone, MobiFone, Vietnamobile and Gmobile prefixes, all matching PHONE_PATTERN.
_MOBILE_PREFIXES = (
    *("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039"),
    *("088", "091", "094", "081", "082", "083", "084", "085", "089"),
    *("090", "093", "070", "076", "077", "078", "079"),
    *("092", "056", "058", "099", "059"),
)
_HOTLINES = ("19001919", "02873001234", "02473009999", "18006789", "02363888777")
_DESTS = ("", "", "queue-sales", "ringgroup-cskh")
# (status, cumulative weight per mille, cause)
_STATUSES = (
    ("answered", 600, "NORMAL_CLEARING"),
    ("no-answered", 740, "NO_ANSWER"),
    ("busy", 860, "USER_BUSY"),
    ("cancel", 930, "ORIGINATOR_CANCEL"),
    ("not-available", 980, "SUBSCRIBER_ABSENT"),
    ("invalid", 1000, "INVALID_NUMBER_FORMAT"),
)


def _mix(x: int) -> int:
    """Splitmix64 finaliser: a fast, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


@functools.lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(days * 86400))


def _fmt(ts: int) -> str:
    local = ts + _VN_OFFSET
    days, sec = divmod(local, 86400)
    h, rest = divmod(sec, 3600)
    m, s = divmod(rest, 60)
    return f"{_day(days)} {h:02d}:{m:02d}:{s:02d}"


def format_vn(ts: int) -> str:
    """Format a Unix time as the API's naive Asia/Ho_Chi_Minh `YYYY-MM-DD HH:MM:SS`."""
    return _fmt(ts)


class _Cdr(msgspec.Struct, array_like=True):
    """The mapping-neutral facts of one CDR, from which both wire shapes are rendered."""

    index: int
    id: str
    sip_call_id: str
    direction: str
    status: str
    cause: str
    extension: str
    from_number: str
    to_number: str
    hotline: str
    mobile: str
    receive_dest: str
    customer_id: str
    started: int
    ring: int
    billsec: int
    h: int

    @property
    def duration(self) -> int:
        """Seconds from start to hang-up."""
        return self.ring + self.billsec


class CdrFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The non-time CDR filters of `GET /v2/cdr`; None means "any"."""

    duration: int | None = None
    min_duration: int | None = None
    extension: str | None = None
    phone: str | None = None
    direction: str | None = None
    status: str | None = None
    hotline: str | None = None

    def is_empty(self) -> bool:
        """True when no filter is set."""
        return all(getattr(self, f) is None for f in self.__struct_fields__)

    def matches(self, c: _Cdr) -> bool:
        """True when `c` passes every filter."""
        return (
            (self.duration is None or c.duration == self.duration)
            and (self.min_duration is None or c.duration >= self.min_duration)
            and (self.extension is None or c.extension == self.extension)
            and (self.phone is None or self.phone in (c.from_number, c.to_number))
            and (self.direction is None or c.direction == self.direction.lower())
            and (self.status is None or c.status == self.status.lower())
            and (self.hotline is None or c.hotline == self.hotline)
        )


Key = tuple[int, int]


class CdrStore:
    """The CDR dataset: `count` generated CDRs in `[start, end)` plus inserted late CDRs."""

    def __init__(
        self,
        count: int,
        *,
        seed: int = 1,
        mapping: Mapping = "default",
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
    ) -> None:
        """Describe the dataset; nothing is generated until a record is asked for."""
        if count < 0:
            raise ValueError("count must be >= 0")
        if mapping not in ("default", "flex", "mixed"):
            raise ValueError(f"unknown mapping {mapping!r}")
        self.base_count = count
        self.mapping: Mapping = mapping
        self.t0 = int(start.timestamp())
        self.span = int(end.timestamp()) - self.t0
        if self.span <= 0:
            raise ValueError("end must be after start")
        self._key = _mix(seed)
        self._id_mask = _mix(self._key ^ 1) & _M48
        self._sip_mask = _mix(self._key ^ 2) & _M48
        self._rng = random.Random(seed ^ 0x5EED)
        self._inserted: list[Key] = []
        self._inserted_ts: list[int] = []

    def __len__(self) -> int:
        """Number of CDRs, inserted ones included."""
        return self.base_count + len(self._inserted_ts)

    def started(self, index: int) -> int:
        """Unix start time of CDR `index`."""
        n = self.base_count
        if index < n:
            return self.t0 + index * self.span // n
        return self._inserted_ts[index - n]

    def first_at(self, ts: int) -> int:
        """The first base index whose start time is >= `ts`."""
        k = ts - self.t0
        if k <= 0:
            return 0
        return min(self.base_count, -(-k * self.base_count // self.span))

    def insert(self, n: int, at: Sequence[datetime] | None = None) -> list[int]:
        """Add `n` late CDRs (at seeded times in the period, or at `at`); return their indexes."""
        times = (
            [int(t.timestamp()) for t in at]
            if at is not None
            else [self.t0 + self._rng.randrange(self.span) for _ in range(n)]
        )
        added = []
        for ts in times:
            index = len(self)
            self._inserted_ts.append(ts)
            bisect.insort(self._inserted, (ts, index))
            added.append(index)
        return added

    def core(self, index: int) -> _Cdr:
        """The mapping-neutral facts of CDR `index`."""
        h1 = _mix(self._key + index)
        h2 = _mix(h1)
        h3 = _mix(h2)
        d = h1 % 100
        direction = "outbound" if d < 55 else "inbound" if d < 95 else "local"
        r = (h1 >> 8) % 1000
        status, cause = next((s, c) for s, w, c in _STATUSES if r < w)
        ext = str(101 + (h1 >> 20) % 20)
        mobile = _MOBILE_PREFIXES[h2 % len(_MOBILE_PREFIXES)] + f"{(h2 >> 8) % 10_000_000:07d}"
        hotline = _HOTLINES[(h1 >> 28) % len(_HOTLINES)]
        if direction == "outbound":
            src, dst = hotline, mobile
        elif direction == "inbound":
            src, dst = mobile, hotline
        else:
            src, dst, hotline, mobile = ext, str(101 + (h1 >> 36) % 20), "", ""
        ring = 2 + (h2 >> 32) % 25
        billsec = 0
        if status == "answered":
            x = (h2 >> 40) % 600
            billsec = 3 + x * x // 400
        cid = f"KH{(h3 >> 20) % 100_000:05d}" if (h3 >> 52) % 10 < 8 else ""
        dest = _DESTS[(h1 >> 56) % 4] if direction == "inbound" else ""
        tail = (index * _SCRAMBLE) & _M48
        return _Cdr(
            index,
            f"{h3 >> 32:08x}-{(h3 >> 16) & 0xFFFF:04x}-4{(h3 >> 4) & 0xFFF:03x}-"
            f"{8 + (h3 & 3):x}{(h2 >> 4) & 0xFFF:03x}-{tail ^ self._id_mask:012x}",
            f"{h2 >> 32:08x}-{(h2 >> 16) & 0xFFFF:04x}-123a-89ab-{tail ^ self._sip_mask:012x}",
            direction,
            status,
            cause,
            ext,
            src,
            dst,
            hotline,
            mobile,
            dest,
            cid,
            self.started(index),
            ring,
            billsec,
            h1,
        )

    def render(self, c: _Cdr) -> dict[str, Any]:
        """The wire dict of `c` in the configured mapping."""
        if self.mapping == "flex" or (self.mapping == "mixed" and c.index % 2):
            return _flex(c)
        return _default(c)

    def record(self, index: int) -> dict[str, Any]:
        """The wire dict of CDR `index`."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.render(self.core(index))

    def lookup(self, ident: str) -> int | None:
        """The index of the CDR whose id (trailing space optional) or sip_call_id is `ident`."""
        ident = ident.strip()
        try:
            tail = int(ident[-12:], 16)
        except ValueError:
            return None
        for mask, attr in ((self._id_mask, "id"), (self._sip_mask, "sip_call_id")):
            index = ((tail ^ mask) * _UNSCRAMBLE) & _M48
            if 0 <= index < len(self) and getattr(self.core(index), attr) == ident:
                return index
        return None

    def keys(
        self,
        lo: int | None = None,
        hi: int | None = None,
        *,
        after: Key | None = None,
        below: int | None = None,
    ) -> Iterator[Key]:
        """Yield `(started, index)` ascending in `[lo, hi)`, after `after`, index below `below`."""
        j, jend, p, pend = self._bounds(lo, hi)
        if after is not None:
            t, i = after
            a, b = self.first_at(t), self.first_at(t + 1)
            j = max(j, min(max(a, i + 1), b))
            p = max(p, bisect.bisect_right(self._inserted, after))
        return self._merge(j, jend, p, pend, below)

    def count(self, lo: int | None = None, hi: int | None = None) -> int:
        """Number of CDRs starting in `[lo, hi)`."""
        j, jend, p, pend = self._bounds(lo, hi)
        return max(0, jend - j) + max(0, pend - p)

    def keys_from(self, offset: int, lo: int | None = None, hi: int | None = None) -> Iterator[Key]:
        """Yield keys in `[lo, hi)` from position `offset` without walking the skipped ones."""
        j0, jend, p0, pend = self._bounds(lo, hi)
        jend = max(j0, jend)

        def before(j: int) -> int:
            if j >= jend:
                return (jend - j0) + max(0, pend - p0)
            return (
                (j - j0) + bisect.bisect_left(self._inserted, (self.started(j), j), p0, pend) - p0
            )

        low, high = j0, jend
        while low < high:
            mid = (low + high) // 2
            if before(mid) >= offset:
                high = mid
            else:
                low = mid + 1
        return self._merge(low, jend, p0 + offset - (low - j0), pend, None)

    def _bounds(self, lo: int | None, hi: int | None) -> tuple[int, int, int, int]:
        ins = self._inserted
        j = 0 if lo is None else self.first_at(lo)
        jend = self.base_count if hi is None else self.first_at(hi)
        p = 0 if lo is None else bisect.bisect_left(ins, (lo, -1))
        pend = len(ins) if hi is None else bisect.bisect_left(ins, (hi, -1))
        return j, jend, p, pend

    def _merge(self, j: int, jend: int, p: int, pend: int, below: int | None) -> Iterator[Key]:
        ins, n, t0, span = self._inserted, self.base_count, self.t0, self.span
        while True:
            while p < pend and below is not None and ins[p][1] >= below:
                p += 1
            if j < jend:
                base = (t0 + j * span // n, j)
                if p < pend and ins[p] < base:
                    yield ins[p]
                    p += 1
                else:
                    yield base
                    j += 1
            elif p < pend:
                yield ins[p]
                p += 1
            else:
                return

    def select(
        self, keys: Iterator[Key], flt: CdrFilter, limit: int, skip: int = 0
    ) -> tuple[list[dict[str, Any]], Key | None]:
        """Render up to `limit` CDRs from `keys` that pass `flt` (after skipping `skip` matches).

        Returns the records and the key of the last CDR examined, where a scroll resumes.
        """
        out: list[dict[str, Any]] = []
        last: Key | None = None
        if limit <= 0:
            return out, last
        check: Callable[[_Cdr], bool] | None = None if flt.is_empty() else flt.matches
        render = self.render
        for key in keys:
            c = self.core(key[1])
            last = key
            if check is not None and not check(c):
                continue
            if skip:
                skip -= 1
                continue
            out.append(render(c))
            if len(out) >= limit:
                break
        return out, last

    def ids(self, lo: int | None = None, hi: int | None = None) -> Iterator[str]:
        """Yield the stripped ids of CDRs starting in `[lo, hi)`, in order."""
        for _, index in self.keys(lo, hi):
            yield self.core(index).id


def _default(c: _Cdr) -> dict[str, Any]:
    h = c.h
    answered = c.status == "answered"
    started = c.started
    rec: dict[str, Any] = {
        "id": c.id + " " if (h >> 40) % 100 < 2 else c.id,
        "sip_call_id": c.sip_call_id,
        "cause": c.cause,
        "duration": c.duration,
        "direction": 3 if (h >> 32) % 100 < 5 else c.direction,
        "recording_url": f"http://recording.demo/{c.id}" if answered else "",
        "extension": c.extension,
        "from_number": c.from_number,
        "to_number": c.to_number,
        "receive_dest": c.receive_dest,
        "time_started": _fmt(started),
        "time_answered": _fmt(started + c.ring) if answered else "",
        "time_ended": _fmt(started + c.duration),
        "status": c.status.upper(),
        "customer_id": c.customer_id,
    }
    if (h >> 48) % 100 < 3:
        rec["hangup_by"] = "customer" if h & 1 else "agent"
    return rec


def _flex(c: _Cdr) -> dict[str, Any]:
    answered = c.status == "answered"
    started = c.started
    return {
        "cdrId": c.id,
        "sip_call_id": c.sip_call_id,
        "recordFile": f"http://recording.demo/{c.id}" if answered else "",
        "extensionId": c.extension,
        "to": c.mobile or c.to_number,
        "hangupAt": _fmt(started + c.duration),
        "answeredAt": _fmt(started + c.ring) if answered else "",
        "ringAt": _fmt(started + 1 + c.ring // 4),
        "dialAt": _fmt(started),
        "status": c.status,
        "duration": c.duration,
        "direction": c.direction,
        "billsec": c.billsec,
        "customerId": c.customer_id,
    }


_encoder = msgspec.json.Encoder()


def cdr_page_bytes(count: int, seed: int = 1, mapping: Mapping = "default") -> bytes:
    """Encode one pagination page of `count` CDRs: `{"data", "limit", "offset": 0, "total"}`."""
    store = CdrStore(count, seed=seed, mapping=mapping)
    data = [store.record(i) for i in range(count)]
    return _encoder.encode({"data": data, "limit": count, "offset": 0, "total": count})
