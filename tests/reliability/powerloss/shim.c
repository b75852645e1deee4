/* Power-loss recorder: an LD_PRELOAD shim for the power-loss simulator.
 *
 * For every file whose path is POWERLOSS_DIR or lies under it, each call that changes
 * what a power loss could leave on disk is passed to libc unchanged and then, once it
 * succeeded, appended to the log file POWERLOSS_LOG as one record (one write() on an
 * O_APPEND descriptor: the page cache keeps it if the process is killed).
 *
 *   'O' open      ino, flags (1: the call created the file, 2: a directory), path
 *   'W' write     ino, offset, length, the bytes written
 *   'T' truncate  ino, the new length
 *   'S' sync      ino (fsync or fdatasync; flag 2 when the descriptor is a directory)
 *   'U' unlink    path
 *   'R' rename    "old\0new"
 *
 * A record is a 32-byte header (op, flags, 2 pad bytes, path length u32, ino u64,
 * offset i64, length u64; little-endian) followed by the path and the data.
 *
 * Writes and truncations are logged just BEFORE the call (and the process aborts if the
 * call then fails or writes less: the log must not hold a change that did not happen);
 * everything else just after it succeeded. So a kill can leave at most one logged write
 * that never reached the file: the last record, unsynced — a change a moment later
 * would have made, which the simulator may keep or drop like any unsynced write. A sync
 * is logged only once it returned: a kill inside fsync counts it as not done.
 * tests/reliability/powerloss/disk.py reads the log.
 *
 * POWERLOSS_KILL_BEFORE_SYNC=n (read at every sync, so the process may set it late): the
 * process SIGKILLs itself with probability n/1000 on entering an fsync or fdatasync of a
 * watched file, before the sync — the moment a commit's writes are all made and none is
 * durable, where a power loss hurts most.
 *
 * libsqlite3 (3.40, Debian) imports open64, pwrite64, write, ftruncate64, fdatasync,
 * unlink and close for its files (nm -D); the other wrappers are for completeness. It
 * maps only the -shm wal-index (mmap64), never the database (mmap_size is 0).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536

struct header {
    char op;
    uint8_t flags;
    uint16_t pad;
    uint32_t pathlen;
    uint64_t ino;
    int64_t offset;
    uint64_t length;
};

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int log_fd = -2;           /* -2: not initialised, -1: disabled */
static char watched[PATH_MAX];
static size_t watched_len;
static uint64_t tracked[MAX_FD];  /* ino + 1 of a watched descriptor, 0 if not watched */
static uint8_t is_dir[MAX_FD];

#define REAL(name) static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static ssize_t raw_write(int fd, const void *buf, size_t count) {
    static ssize_t (*w)(int, const void *, size_t);
    if (!w) w = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    return w(fd, buf, count);
}

static void must(ssize_t done, size_t wanted) {
    if (done < 0 || (size_t)done != wanted) abort();  /* the log already holds it */
}

static void init(void) {
    if (log_fd != -2) return;
    const char *dir = getenv("POWERLOSS_DIR");
    const char *path = getenv("POWERLOSS_LOG");
    log_fd = -1;
    if (!dir || !path || !*dir) return;
    watched_len = strlen(dir);
    while (watched_len > 1 && dir[watched_len - 1] == '/') watched_len--;
    if (watched_len >= sizeof watched) return;
    memcpy(watched, dir, watched_len);
    watched[watched_len] = 0;
    static int (*o)(const char *, int, ...);
    if (!o) o = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    log_fd = o(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static int is_watched(const char *path) {
    init();
    if (log_fd < 0 || !path) return 0;
    if (strncmp(path, watched, watched_len) != 0) return 0;
    return path[watched_len] == 0 || path[watched_len] == '/';
}

static void emit(char op, uint8_t flags, uint64_t ino, int64_t offset, uint64_t length,
                 const char *path, size_t pathlen, const void *data, size_t datalen,
                 const struct iovec *iov, int iovcnt) {
    struct header h = {op, flags, 0, (uint32_t)pathlen, ino, offset, length};
    size_t total = sizeof h + pathlen + datalen;
    char *record = malloc(total);
    if (!record) abort();
    memcpy(record, &h, sizeof h);
    if (pathlen) memcpy(record + sizeof h, path, pathlen);
    char *at = record + sizeof h + pathlen;
    if (data) {
        memcpy(at, data, datalen);
    } else if (iov) {
        size_t left = datalen;
        for (int i = 0; i < iovcnt && left; i++) {
            size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
            memcpy(at, iov[i].iov_base, n);
            at += n;
            left -= n;
        }
    }
    int saved = errno;
    size_t done = 0;
    while (done < total) {
        ssize_t n = raw_write(log_fd, record + done, total - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            abort();  /* a lost record would make the simulation lie */
        }
        done += (size_t)n;
    }
    errno = saved;
    free(record);
}

static void opened(int fd, const char *path, int created) {
    if (fd < 0 || fd >= MAX_FD) return;
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    pthread_mutex_lock(&lock);
    tracked[fd] = (uint64_t)st.st_ino + 1;
    is_dir[fd] = S_ISDIR(st.st_mode) ? 1 : 0;
    emit('O', (uint8_t)((created ? 1 : 0) | (is_dir[fd] ? 2 : 0)), (uint64_t)st.st_ino, 0, 0,
         path, strlen(path), NULL, 0, NULL, 0);
    pthread_mutex_unlock(&lock);
}

static int watched_fd(int fd) {
    return fd >= 0 && fd < MAX_FD && tracked[fd] != 0;
}

static int do_open(const char *path, int flags, mode_t mode,
                   int (*real)(const char *, int, ...)) {
    if (!is_watched(path)) return real(path, flags, mode);
    pthread_mutex_lock(&lock);
    int existed = (flags & O_CREAT) ? access(path, F_OK) == 0 : 1;
    int fd = real(path, flags, mode);
    if (fd >= 0) {
        opened(fd, path, !existed);
        if ((flags & O_TRUNC) && existed && (flags & O_ACCMODE) != O_RDONLY)
            emit('T', 0, tracked[fd] - 1, 0, 0, NULL, 0, NULL, 0, NULL, 0);
    }
    pthread_mutex_unlock(&lock);
    return fd;
}

#define OPEN_MODE(flags, mode) do { \
    if ((flags) & (O_CREAT | __O_TMPFILE)) { va_list ap; va_start(ap, flags); \
        mode = va_arg(ap, mode_t); va_end(ap); } } while (0)

int open(const char *path, int flags, ...) {
    mode_t mode = 0; OPEN_MODE(flags, mode);
    REAL(open);
    return do_open(path, flags, mode, real_open);
}

int open64(const char *path, int flags, ...) {
    mode_t mode = 0; OPEN_MODE(flags, mode);
    REAL(open64);
    return do_open(path, flags, mode, real_open64);
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode,
                     int (*real)(int, const char *, int, ...)) {
    if (path && path[0] == '/' && is_watched(path)) {
        pthread_mutex_lock(&lock);
        int existed = (flags & O_CREAT) ? access(path, F_OK) == 0 : 1;
        int fd = real(dirfd, path, flags, mode);
        if (fd >= 0) {
            opened(fd, path, !existed);
            if ((flags & O_TRUNC) && existed && (flags & O_ACCMODE) != O_RDONLY)
                emit('T', 0, tracked[fd] - 1, 0, 0, NULL, 0, NULL, 0, NULL, 0);
        }
        pthread_mutex_unlock(&lock);
        return fd;
    }
    return real(dirfd, path, flags, mode);  /* relative to a directory: not SQLite's way */
}

int openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0; OPEN_MODE(flags, mode);
    REAL(openat);
    return do_openat(dirfd, path, flags, mode, real_openat);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0; OPEN_MODE(flags, mode);
    REAL(openat64);
    return do_openat(dirfd, path, flags, mode, real_openat64);
}

int close(int fd) {
    REAL(close);
    if (fd >= 0 && fd < MAX_FD && fd != log_fd) {
        pthread_mutex_lock(&lock);
        tracked[fd] = 0;
        is_dir[fd] = 0;
        int result = real_close(fd);
        pthread_mutex_unlock(&lock);
        return result;
    }
    return real_close(fd);
}

static void writing(int fd, off_t offset, size_t n, const void *buf,
                    const struct iovec *iov, int iovcnt) {
    if (n > 0)
        emit('W', 0, tracked[fd] - 1, offset, (uint64_t)n, NULL, 0, buf, n, iov, iovcnt);
}

static size_t iov_total(const struct iovec *iov, int iovcnt) {
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
    return total;
}

static off_t position(int fd) {
    if (fcntl(fd, F_GETFL) & O_APPEND) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size : -1;
    }
    return lseek(fd, 0, SEEK_CUR);
}

ssize_t write(int fd, const void *buf, size_t count) {
    if (fd == log_fd || !watched_fd(fd)) return raw_write(fd, buf, count);
    pthread_mutex_lock(&lock);
    writing(fd, position(fd), count, buf, NULL, 0);
    ssize_t n = raw_write(fd, buf, count);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite);
    if (!watched_fd(fd)) return real_pwrite(fd, buf, count, offset);
    pthread_mutex_lock(&lock);
    writing(fd, offset, count, buf, NULL, 0);
    ssize_t n = real_pwrite(fd, buf, count, offset);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite64);
    if (!watched_fd(fd)) return real_pwrite64(fd, buf, count, offset);
    pthread_mutex_lock(&lock);
    writing(fd, offset, count, buf, NULL, 0);
    ssize_t n = real_pwrite64(fd, buf, count, offset);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    REAL(writev);
    if (!watched_fd(fd)) return real_writev(fd, iov, iovcnt);
    pthread_mutex_lock(&lock);
    size_t count = iov_total(iov, iovcnt);
    writing(fd, position(fd), count, NULL, iov, iovcnt);
    ssize_t n = real_writev(fd, iov, iovcnt);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
    REAL(pwritev);
    if (!watched_fd(fd)) return real_pwritev(fd, iov, iovcnt, offset);
    pthread_mutex_lock(&lock);
    size_t count = iov_total(iov, iovcnt);
    writing(fd, offset, count, NULL, iov, iovcnt);
    ssize_t n = real_pwritev(fd, iov, iovcnt, offset);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
    REAL(pwritev64);
    if (!watched_fd(fd)) return real_pwritev64(fd, iov, iovcnt, offset);
    pthread_mutex_lock(&lock);
    size_t count = iov_total(iov, iovcnt);
    writing(fd, offset, count, NULL, iov, iovcnt);
    ssize_t n = real_pwritev64(fd, iov, iovcnt, offset);
    must(n, count);
    pthread_mutex_unlock(&lock);
    return n;
}

static void truncating(int fd, off_t length) {
    emit('T', 0, tracked[fd] - 1, length, 0, NULL, 0, NULL, 0, NULL, 0);
}

int ftruncate(int fd, off_t length) {
    REAL(ftruncate);
    if (!watched_fd(fd)) return real_ftruncate(fd, length);
    pthread_mutex_lock(&lock);
    truncating(fd, length);
    int result = real_ftruncate(fd, length);
    if (result != 0) abort();
    pthread_mutex_unlock(&lock);
    return result;
}

int ftruncate64(int fd, off_t length) {
    REAL(ftruncate64);
    if (!watched_fd(fd)) return real_ftruncate64(fd, length);
    pthread_mutex_lock(&lock);
    truncating(fd, length);
    int result = real_ftruncate64(fd, length);
    if (result != 0) abort();
    pthread_mutex_unlock(&lock);
    return result;
}

static void maybe_die(int fd) {
    const char *rate = getenv("POWERLOSS_KILL_BEFORE_SYNC");
    if (!rate || is_dir[fd]) return;
    static unsigned seed;
    if (!seed) seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)&seed;
    if ((unsigned)(rand_r(&seed) % 1000) < (unsigned)atoi(rate)) kill(getpid(), SIGKILL);
}

static int synced(int fd, int result) {
    if (result == 0) emit('S', is_dir[fd] ? 2 : 0, tracked[fd] - 1, 0, 0, NULL, 0, NULL, 0,
                          NULL, 0);
    return result;
}

int fsync(int fd) {
    REAL(fsync);
    if (!watched_fd(fd)) return real_fsync(fd);
    maybe_die(fd);
    pthread_mutex_lock(&lock);
    int result = synced(fd, real_fsync(fd));
    pthread_mutex_unlock(&lock);
    return result;
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (!watched_fd(fd)) return real_fdatasync(fd);
    maybe_die(fd);
    pthread_mutex_lock(&lock);
    int result = synced(fd, real_fdatasync(fd));
    pthread_mutex_unlock(&lock);
    return result;
}

int unlink(const char *path) {
    REAL(unlink);
    if (!is_watched(path)) return real_unlink(path);
    pthread_mutex_lock(&lock);
    int result = real_unlink(path);
    if (result == 0) emit('U', 0, 0, 0, 0, path, strlen(path), NULL, 0, NULL, 0);
    pthread_mutex_unlock(&lock);
    return result;
}

int rename(const char *old, const char *new) {
    REAL(rename);
    if (!is_watched(old) && !is_watched(new)) return real_rename(old, new);
    pthread_mutex_lock(&lock);
    int result = real_rename(old, new);
    if (result == 0) {
        size_t a = strlen(old), b = strlen(new);
        char *both = malloc(a + 1 + b);
        if (!both) abort();
        memcpy(both, old, a);
        both[a] = 0;
        memcpy(both + a + 1, new, b);
        emit('R', 0, 0, 0, 0, both, a + 1 + b, NULL, 0, NULL, 0);
        free(both);
    }
    pthread_mutex_unlock(&lock);
    return result;
}
