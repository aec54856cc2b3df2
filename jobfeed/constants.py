"""Every tunable number in one place, each with the reason for its value."""

from __future__ import annotations

# --- HTTP fetch ------------------------------------------------------------------------------
HTTP_CONNECT_TIMEOUT_S = 10.0  # a healthy server accepts a TCP/TLS connection in well under 10 s
HTTP_READ_TIMEOUT_S = 30.0  # longest silence between two chunks we tolerate from a slow board
HTTP_TOTAL_TIMEOUT_S = 60.0  # default HTTP_TIMEOUT_S: wall-clock cap per fetch, so a dripping body ends
MAX_FEED_BYTES = 20 * 1024 * 1024  # default cap: the largest real job feeds are a few MB; 20 MB leaves room
MAX_REDIRECTS = 5  # feeds redirect once or twice (http->https, canonical host); more is a loop
RETRY_AFTER_CAP_S = 120.0  # honour a 429 Retry-After, but never park a worker longer than 2 minutes
SPOOL_MAX_AGE_S = 24 * 3600  # a run's working files older than this belong to a dead run (runs take minutes)
STREAM_CHUNK_BYTES = 64 * 1024  # read size when streaming a body; small enough to enforce the cap tightly
USER_AGENT = (
    "jobfeed/0.1 (+https://github.com/jobfeed/jobfeed; job-feed importer)"  # boards ask bots to name themselves
)
HTTP_WRITE_TIMEOUT_S = 10.0  # we only send a GET's headers; 10 s of a stalled send means a dead peer
HTTP_POOL_TIMEOUT_S = 10.0  # waiting this long for a free pooled connection means the pool is jammed
HTTP_MAX_CONNECTIONS = 32  # well above MAX_CONCURRENCY x one redirect hop; a ceiling, not a target
HTTP_ACCEPT = (  # what a feed URL may answer with, feeds first; */* last so odd-but-valid boards still answer
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, "
    "text/xml;q=0.9, application/feed+json;q=0.8, application/json;q=0.8, */*;q=0.1"
)
HTTP_ACCEPT_ENCODING = "gzip, deflate"  # exactly the codings fetch.py inflates itself with a size cap (no br/zstd)
ERROR_BODY_SNIFF_BYTES = 16 * 1024  # of a 401/403 body, enough to recognise an HTML challenge or login page

# --- Parsing ---------------------------------------------------------------------------------
SNIFF_BYTES = 4096  # enough of the body to see the XML prolog / root element or an HTML page
MAX_TEXT_FIELD_CHARS = 1_000_000  # descriptions beyond 1 MB of text are truncated (no real posting is that long)
MIN_PLAUSIBLE_YEAR = 1995  # job boards did not publish feeds before RSS existed; earlier dates are junk
MAX_FUTURE_SKEW_DAYS = 2  # clocks and time zones can put a pubDate slightly ahead; further is junk
EXCERPT_CHARS = 80  # feed bodies are untrusted: error messages quote at most this much of one
MAX_PROLOG_SCAN_BYTES = 1_000_000  # a prolog (comments, PIs) over 1 MB before the root element is not a feed
MAX_IDENTITY_CHARS = (
    2048  # real guids and job URLs are well under 2 KB; longer ones are junk that bloats the unique index
)

# --- Storage and runs ------------------------------------------------------------------------
BATCH_SIZE = 500  # notes/stack.md: 500-1,000 records per Prefect task keeps orchestration cost small
MAX_CONCURRENCY = 4  # feeds fetched at once: polite to one board, enough to hide network latency
WRITE_LANES = 2  # threads beyond MAX_CONCURRENCY for upserts: the database writes while feeds are parsed (bench)
MAX_FAILURES_PER_LOG = 100  # an ImportLog lists the first 100 failures; the count stays exact
UPSERT_RETRIES = 3  # 1, 2, 4 s of backoff (~7 s) covers a database failover or a quick restart
START_RETRIES = 2  # opening a run is a handful of small writes: a brief database blip at most
FETCH_RETRIES = 2  # transient network faults usually clear in seconds; more would delay the whole run
RETRY_BACKOFF_S = 1.0  # default RETRY_BACKOFF_S: first retry after 1 s, doubling (notes/stack.md)
RETRY_JITTER = 0.2  # +-20 % so concurrent runs do not retry in lockstep
LAST_SEEN_REFRESH_S = (
    6 * 3600
)  # unchanged jobs re-stamp lastSeenAt at most this often: hourly runs then write nothing for them
CLOSE_AFTER_MISSES = 2  # default CLOSE_AFTER_MISSES: one missing snapshot may be a board's hiccup, two in a row is gone
SNAPSHOT_CHUNK_ENTRIES = 20_000  # feed snapshot entries per document: ~3.6 MB, well under MongoDB's 16 MB
CHANGE_DIFF_MAX_BYTES = 4096  # a job_changes description diff: enough to read an edit, bounded for big rewrites
DUPLICATE_FULL_REFRESH_AFTER = 10_000  # touched jobs beyond which duplicate groups are recomputed whole: one $group
# over the keyed jobs then costs less than looking up every touched key again (and holds no id list)
DUPLICATE_KEY_RETRIES = 3  # two feeds of one board inserting the same job: re-read and re-apply, bounded
LOCK_TTL_S = 30 * 60  # a feed's import lock: far longer than one feed takes, short enough after a crash
STALE_RUNNING_TTL_FACTOR = 2  # a log `running` for 2x the lock hold is a crashed run whatever Prefect says
MONGO_SERVER_SELECTION_TIMEOUT_MS = 5_000  # fail fast with db_error instead of pymongo's 30 s default
FOLLOW_UP_RETRIES = 2  # a run's follow-ups (duplicate groups, export, summary message): a blip, a full disk freed

# --- Local stack -----------------------------------------------------------------------------
LOCAL_MONGO_PORT = 27117  # not 27017, so a developer's own mongod keeps its port
LOCAL_REDIS_PORT = 6479  # not 6379, for the same reason
DEMO_HTTP_PORT = 8765  # fixed, so the demo's feed URLs (and their ETag state) are the same every run
LOCAL_PREFECT_PORT = 4200  # Prefect's own default: the UI is where the data team expects it
SERVICE_START_TIMEOUT_S = 60.0  # Prefect server needs ~10 s to be healthy on 2 cores; 6x headroom
SERVICE_STOP_TIMEOUT_S = 15.0  # secantusd needs ~3.3 s to shut down cleanly on SIGTERM; then SIGKILL
HEALTH_CHECK_TIMEOUT_S = 1.0  # a local server answers a ping in milliseconds; keeps `stack status` snappy
LOG_TAIL_LINES = 20  # lines of a service log quoted in a start failure: enough for a traceback
PREFECT_TASK_RUN_RECORDER_BATCH_SIZE = 100  # notes/stack.md: cut server CPU per 1,000 task runs ~3x

# --- Operations: notifications, metrics, logs -------------------------------------------------
NOTIFY_FAIL_AFTER = 3  # default NOTIFY_FAIL_AFTER: 3 hourly failures in a row is an outage, not a blip retries missed
AUTO_DISABLE_AFTER = 10  # default AUTO_DISABLE_AFTER: ~10 h of failures, stop hitting a dead board until someone looks
NOTIFY_TIMEOUT_S = 10.0  # a chat webhook or SMTP server answers in ~1 s; a notification must never stall a run
NOTIFY_ATTEMPTS = 2  # one retry rides out a chat service's brief 5xx/429 without holding the run back
NOTIFY_RETRY_DELAY_S = 1.0  # pause before that one retry
SMTP_PORT = 587  # mail submission with STARTTLS: what every provider offers
METRICS_PORT = 9491  # clear of Prometheus (9090) and the common exporters (9100 node, 9121 redis, 9216 mongodb)
METRICS_SETTLE_S = (
    3600  # logs finished over 1 h ago are folded into cached totals: clock skew and slow finishes fit inside
)
FETCH_DURATION_BUCKETS_S = (
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)  # a LAN feed up to HTTP_TIMEOUT_S' 60 s cap
RUN_DURATION_BUCKETS_S = (
    1.0,
    5.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    900.0,
    1800.0,
)  # one feed's whole run: fetch + batches

# --- raw feed archive and replay (docs/provenance.md) ---
ARCHIVE_KEEP_DAYS = 30  # a month of bodies to replay after a parser fix; the bodies in use are kept whatever their age
ARCHIVE_GZIP_LEVEL = 3  # 4 MB feed: 14 ms, 10.6x smaller; level 6: 34 ms, 14.1x (paid per body)
ARCHIVE_CHUNK_BYTES = 256 * 1024  # read size when streaming a body into or out of the archive (one GridFS chunk)
ARCHIVE_ORPHAN_AGE_S = 24 * 3600  # chunks of an upload that died (kill -9) are removed by the prune after this
