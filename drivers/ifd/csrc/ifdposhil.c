/*
 * ifdposhil: an event-driven IFD handler for pcsc-lite that speaks vpcd's
 * card-side wire protocol, so any vpcd card (poshil's emulated cards,
 * vsmartcard's vicc) plugs in unchanged.
 *
 * Each slot listens on a TCP port; a card is a client connection. Messages
 * both ways are a 2-byte big-endian length and a payload; a 1-byte message
 * from the reader is control (0x00 power off, 0x01 power on, 0x02 reset,
 * 0x04 get ATR), anything longer is a C-APDU answered by its R-APDU.
 *
 * Unlike vpcd, the driver gives pcscd a polling function
 * (TAG_IFD_POLLING_THREAD_WITH_TIMEOUT): pcscd's event thread blocks in it
 * until a card connects or the card's connection closes, instead of
 * sleeping 400 ms between presence checks.
 *
 * reader.conf:  DEVICENAME ADDR:PORT[:SLOTS]
 *   ADDR   address to listen on ("/dev/null" or "0.0.0.0": every address)
 *   PORT   TCP port of slot 0; slot N listens on PORT+N (decimal or 0x..)
 *   SLOTS  number of slots, 1..16 (default 2)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <debuglog.h>
#include <ifdhandler.h>
#include <pcsclite.h>
#include <reader.h>
#include <wintypes.h>

#define MAX_READERS 16
#define MAX_SLOTS 16
#define DEFAULT_SLOTS 2
#define MAX_FRAME 0xFFFF

#define CTRL_OFF 0x00
#define CTRL_ON 0x01
#define CTRL_RESET 0x02
#define CTRL_ATR 0x04

/* slot is one card port. Every field is guarded by mu. */
struct slot {
	pthread_mutex_t mu;
	int open;           /* the channel is open */
	int lfd;            /* listening socket (non-blocking) */
	int cfd;            /* the card's connection, -1 without a card */
	int wake;           /* eventfd: wakes the polling function */
	int stop;           /* pcscd asked the polling function to stop */
	uint64_t gen;       /* number of cards connected so far */
	uint64_t seen;      /* gen of the card pcscd's event thread reported present, 0 if none */
	int hold;           /* a removal was reported: keep reporting it until pcscd polls again */
	int has_poller;     /* poller is set */
	pthread_t poller;   /* pcscd's event thread for this slot */
	unsigned char atr[MAX_ATR_SIZE];
	DWORD atrlen;
	unsigned char buf[MAX_FRAME + 2];
};

struct reader {
	int used;
	int nslots;
	struct slot slots[MAX_SLOTS];
};

static struct reader readers[MAX_READERS];
static pthread_mutex_t readers_mu = PTHREAD_MUTEX_INITIALIZER;

static struct slot *slot_of(DWORD lun)
{
	DWORD r = (lun >> 16) & 0xFFFF, s = lun & 0xFFFF;
	if (r >= MAX_READERS || s >= MAX_SLOTS || !readers[r].used || (int)s >= readers[r].nslots)
		return NULL;
	return &readers[r].slots[s];
}

static void wake(struct slot *s)
{
	uint64_t one = 1;
	if (s->wake >= 0)
		(void)!write(s->wake, &one, sizeof one);
}

/* eject drops the card's connection (mu held). shutdown makes the peer and
 * a polling function holding a dup of the descriptor see the end at once. */
static void eject(struct slot *s)
{
	if (s->cfd < 0)
		return;
	(void)shutdown(s->cfd, SHUT_RDWR);
	(void)close(s->cfd);
	s->cfd = -1;
	s->atrlen = 0;
	wake(s);
}

/* alive reports whether the card's connection is still open (mu held). */
static int alive(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	if (poll(&p, 1, 0) < 0)
		return errno == EINTR;
	return !(p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* refresh drops a card whose connection closed and takes a waiting one
 * (mu held). */
static void refresh(struct slot *s)
{
	if (s->cfd >= 0 && !alive(s->cfd))
		eject(s);
	if (s->cfd < 0 && s->lfd >= 0) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			int one = 1;
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			s->cfd = fd;
			s->gen++;
			/* a polling function waiting on the listening socket may
			 * not be the caller */
			wake(s);
		}
	}
}

/* usable: the card pcscd was told about is still connected (mu held).
 * A card that connected since is not talked to before pcscd has seen it. */
static int usable(struct slot *s)
{
	return s->cfd >= 0 && s->seen != 0 && s->gen == s->seen;
}

static int sendall(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recvall(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* exchange sends one framed message and, if reply, reads the framed answer
 * into s->buf. It returns the answer's length, 0 without reply, -1 when
 * the card is gone before taking the message, -2 when it left without
 * answering (either way it is ejected). mu held. */
static long exchange(struct slot *s, const unsigned char *msg, size_t n, int reply)
{
	unsigned char *out = s->buf;
	if (n == 0 || n > MAX_FRAME)
		return -1;
	out[0] = (unsigned char)(n >> 8);
	out[1] = (unsigned char)n;
	memcpy(out + 2, msg, n);
	if (sendall(s->cfd, out, n + 2) < 0)
		goto gone;
	if (!reply)
		return 0;
	if (recvall(s->cfd, s->buf, 2) < 0)
		goto left;
	size_t len = ((size_t)s->buf[0] << 8) | s->buf[1];
	if (len == 0 || recvall(s->cfd, s->buf, len) < 0)
		goto left; /* vpcd reads an empty answer as a removed card */
	return (long)len;
gone:
	eject(s);
	return -1;
left:
	eject(s);
	return -2;
}

static long control(struct slot *s, unsigned char c, int reply)
{
	return exchange(s, &c, 1, reply);
}

/* parse_device reads "ADDR:PORT[:SLOTS]". */
static int parse_device(const char *dev, char *host, size_t hostlen, unsigned long *port, int *nslots)
{
	const char *c1 = strchr(dev, ':');
	char *end;
	size_t n;
	if (!c1)
		return -1;
	n = (size_t)(c1 - dev);
	if (n >= hostlen)
		return -1;
	memcpy(host, dev, n);
	host[n] = '\0';
	errno = 0;
	*port = strtoul(c1 + 1, &end, 0);
	if (errno || end == c1 + 1 || *port == 0 || *port > 65535)
		return -1;
	*nslots = DEFAULT_SLOTS;
	if (*end == ':') {
		const char *p = end + 1;
		long v = strtol(p, &end, 10);
		if (end == p || v < 1 || v > MAX_SLOTS)
			return -1;
		*nslots = (int)v;
	}
	if (*end != '\0')
		return -1;
	if (*port + (unsigned long)*nslots - 1 > 65535)
		return -1;
	return 0;
}

static int listen_on(const char *host, unsigned long port)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8];
	int fd = -1, one = 1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%lu", port);
	if (strcmp(host, "/dev/null") == 0 || host[0] == '\0')
		host = NULL; /* every address, as vpcd */
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0
				&& bind(fd, ai->ai_addr, ai->ai_addrlen) == 0
				&& listen(fd, 4) == 0)
			break;
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void close_slot(struct slot *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	eject(s);
	if (s->lfd >= 0)
		(void)close(s->lfd);
	if (s->wake >= 0)
		(void)close(s->wake);
	s->lfd = s->wake = -1;
	s->open = 0;
	pthread_mutex_unlock(&s->mu);
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	char host[256];
	unsigned long port;
	int nslots, i;
	DWORD r = (Lun >> 16) & 0xFFFF;
	struct reader *rd;

	if (!DeviceName || parse_device(DeviceName, host, sizeof host, &port, &nslots) < 0) {
		Log2(PCSC_LOG_ERROR, "bad DEVICENAME %s (want ADDR:PORT[:SLOTS])", DeviceName ? DeviceName : "(null)");
		return IFD_COMMUNICATION_ERROR;
	}
	if (r >= MAX_READERS)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&readers_mu);
	rd = &readers[r];
	if (rd->used && (Lun & 0xFFFF) != 0 && (int)(Lun & 0xFFFF) < rd->nslots) {
		/* pcscd opens each further slot of a slot-thread-safe driver:
		 * the first call opened them all. */
		pthread_mutex_unlock(&readers_mu);
		return IFD_SUCCESS;
	}
	if (rd->used || (Lun & 0xFFFF) != 0) {
		pthread_mutex_unlock(&readers_mu);
		Log2(PCSC_LOG_ERROR, "reader %lu already open: give every poshil reader the same FRIENDLYNAME", (unsigned long)r);
		return IFD_COMMUNICATION_ERROR;
	}
	for (i = 0; i < nslots; i++) {
		struct slot *s = &rd->slots[i];
		pthread_mutex_init(&s->mu, NULL);
		s->cfd = -1;
		s->stop = s->has_poller = s->hold = 0;
		s->gen = s->seen = 0;
		s->atrlen = 0;
		s->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		s->lfd = listen_on(host, port + (unsigned long)i);
		s->open = 1;
		if (s->lfd < 0 || s->wake < 0) {
			Log3(PCSC_LOG_ERROR, "cannot listen on %s port %lu", host, port + (unsigned long)i);
			while (i >= 0)
				close_slot(&rd->slots[i--]);
			pthread_mutex_unlock(&readers_mu);
			return IFD_COMMUNICATION_ERROR;
		}
	}
	rd->nslots = nslots;
	rd->used = 1;
	pthread_mutex_unlock(&readers_mu);
	Log4(PCSC_LOG_INFO, "poshil: %d slot(s) waiting for cards on %s port %lu+", nslots, host, port);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	char dev[32];
	snprintf(dev, sizeof dev, "/dev/null:%lu", (unsigned long)Channel);
	return IFDHCreateChannelByName(Lun, dev);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct slot *s;
	struct reader *rd;
	int i, open = 0;
	pthread_mutex_lock(&readers_mu);
	s = slot_of(Lun);
	if (!s) {
		pthread_mutex_unlock(&readers_mu);
		return IFD_COMMUNICATION_ERROR;
	}
	close_slot(s);
	rd = &readers[(Lun >> 16) & 0xFFFF];
	for (i = 0; i < rd->nslots; i++)
		open |= rd->slots[i].open;
	if (!open)
		rd->used = 0;
	pthread_mutex_unlock(&readers_mu);
	return IFD_SUCCESS;
}

/* changed: the card present now is not the one pcscd's event thread last
 * reported (mu held). */
static int changed(struct slot *s)
{
	if (s->seen)
		return s->cfd < 0 || s->gen != s->seen;
	return s->cfd >= 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll_slot is the polling function pcscd's event thread calls: it returns
 * as soon as a card connects or the card's connection closes, or after
 * timeout ms, or when pcscd stops the thread. */
static RESPONSECODE poll_slot(DWORD Lun, int timeout)
{
	struct slot *s = slot_of(Lun);
	int64_t deadline = now_ms() + timeout;
	if (!s)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&s->mu);
	s->poller = pthread_self();
	s->has_poller = 1;
	s->hold = 0; /* pcscd has taken in what it was told last */
	pthread_mutex_unlock(&s->mu);
	for (;;) {
		struct pollfd p[2];
		int dupfd = -1;
		int64_t left;
		uint64_t v;

		pthread_mutex_lock(&s->mu);
		if (s->stop || !s->open) {
			/* A stop is one return: pcscd stops the thread at every last
			 * SCardDisconnect "so it can be restarted using the correct
			 * timeout", and calls the function again. A stop kept set made
			 * every later call return at once: pcscd's event thread spun,
			 * a whole core per reader, from the first disconnect on. */
			s->stop = 0;
			pthread_mutex_unlock(&s->mu);
			return IFD_SUCCESS;
		}
		refresh(s);
		if (changed(s)) {
			pthread_mutex_unlock(&s->mu);
			return IFD_SUCCESS;
		}
		p[0].fd = s->wake;
		p[0].events = POLLIN;
		if (s->cfd >= 0) {
			/* a dup: the connection may be closed by another thread while
			 * this one waits on it */
			dupfd = fcntl(s->cfd, F_DUPFD_CLOEXEC, 0);
			p[1].fd = dupfd;
			p[1].events = POLLRDHUP;
		} else {
			p[1].fd = s->lfd;
			p[1].events = POLLIN;
		}
		pthread_mutex_unlock(&s->mu);
		if (p[1].fd < 0)
			return IFD_COMMUNICATION_ERROR;
		p[0].revents = p[1].revents = 0;
		left = deadline - now_ms();
		if (left <= 0) {
			if (dupfd >= 0)
				(void)close(dupfd);
			return IFD_SUCCESS;
		}
		if (left > INT32_MAX)
			left = INT32_MAX;
		(void)poll(p, 2, (int)left);
		if (dupfd >= 0)
			(void)close(dupfd);
		if (p[0].revents & POLLIN)
			(void)!read(p[0].fd, &v, sizeof v);
	}
}

static RESPONSECODE stop_polling(DWORD Lun)
{
	struct slot *s = slot_of(Lun);
	if (!s)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	wake(s);
	pthread_mutex_unlock(&s->mu);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct slot *s = slot_of(Lun);
	RESPONSECODE rv;
	if (!s)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&s->mu);
	refresh(s);
	if (!s->has_poller || pthread_equal(s->poller, pthread_self())) {
		/* pcscd's event thread: report every card, and a card taken out
		 * and another put in as a removal first. The removal is reported
		 * until pcscd calls the polling function again: the event thread
		 * also asks for presence before powering a card down, and only
		 * the answer at the top of its loop makes an event. */
		if (s->hold) {
			rv = IFD_ICC_NOT_PRESENT;
		} else if (s->seen && (s->cfd < 0 || s->gen != s->seen)) {
			s->seen = 0;
			s->hold = s->has_poller; /* cleared when pcscd polls again */
			rv = IFD_ICC_NOT_PRESENT;
		} else if (s->cfd >= 0) {
			s->seen = s->gen;
			rv = IFD_ICC_PRESENT;
		} else {
			rv = IFD_ICC_NOT_PRESENT;
		}
	} else {
		/* Any other thread sees what the event thread reported. */
		rv = usable(s) ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
	}
	pthread_mutex_unlock(&s->mu);
	return rv;
}

/* get_atr asks the card for its ATR into s->atr (mu held). An ATR longer
 * than ISO 7816-3 allows is a mute card: present, but powering fails. */
static RESPONSECODE get_atr(struct slot *s)
{
	long n = control(s, CTRL_ATR, 1);
	if (n < 0)
		return IFD_COMMUNICATION_ERROR;
	if (n > MAX_ATR_SIZE) {
		s->atrlen = 0;
		return IFD_COMMUNICATION_ERROR;
	}
	memcpy(s->atr, s->buf, (size_t)n);
	s->atrlen = (DWORD)n;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	struct slot *s = slot_of(Lun);
	RESPONSECODE rv = IFD_COMMUNICATION_ERROR;
	if (!s)
		return rv;
	pthread_mutex_lock(&s->mu);
	if (!usable(s))
		goto out;
	switch (Action) {
	case IFD_POWER_DOWN:
		if (control(s, CTRL_OFF, 0) == 0)
			rv = IFD_SUCCESS;
		s->atrlen = 0;
		pthread_mutex_unlock(&s->mu);
		return rv;
	case IFD_POWER_UP:
	case IFD_RESET:
		if (control(s, Action == IFD_POWER_UP ? CTRL_ON : CTRL_RESET, 0) < 0)
			goto out;
		rv = get_atr(s);
		break;
	default:
		rv = IFD_NOT_SUPPORTED;
		goto out;
	}
	if (rv == IFD_SUCCESS && AtrLength && Atr) {
		if (*AtrLength < s->atrlen) {
			rv = IFD_COMMUNICATION_ERROR;
			goto out;
		}
		memcpy(Atr, s->atr, s->atrlen);
		*AtrLength = s->atrlen;
		pthread_mutex_unlock(&s->mu);
		return rv;
	}
out:
	if (AtrLength)
		*AtrLength = 0;
	pthread_mutex_unlock(&s->mu);
	return rv;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
		DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength, PSCARD_IO_HEADER RecvPci)
{
	struct slot *s = slot_of(Lun);
	RESPONSECODE rv = IFD_COMMUNICATION_ERROR;
	long n;
	(void)SendPci;
	if (!s || !RxLength)
		return rv;
	pthread_mutex_lock(&s->mu);
	/* a 1-byte message would reach the card as a control byte */
	if (!usable(s) || !TxBuffer || TxLength < 2 || TxLength > MAX_FRAME)
		goto out;
	n = exchange(s, TxBuffer, TxLength, 1);
	if (n == -2) {
		/* As vpcd: a card that leaves without answering ends the
		 * exchange with success and no bytes. */
		*RxLength = 0;
		pthread_mutex_unlock(&s->mu);
		return IFD_SUCCESS;
	}
	if (n < 0 || (DWORD)n > *RxLength)
		goto out;
	memcpy(RxBuffer, s->buf, (size_t)n);
	*RxLength = (DWORD)n;
	if (RecvPci)
		RecvPci->Protocol = 1;
	pthread_mutex_unlock(&s->mu);
	return IFD_SUCCESS;
out:
	*RxLength = 0;
	pthread_mutex_unlock(&s->mu);
	return rv;
}

static RESPONSECODE put_byte(PDWORD Length, PUCHAR Value, UCHAR v)
{
	if (*Length < 1)
		return IFD_COMMUNICATION_ERROR;
	*Value = v;
	*Length = 1;
	return IFD_SUCCESS;
}

static RESPONSECODE put_fn(PDWORD Length, PUCHAR Value, void *fn)
{
	if (*Length < sizeof fn)
		return IFD_COMMUNICATION_ERROR;
	memcpy(Value, &fn, sizeof fn);
	*Length = sizeof fn;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	struct slot *s = slot_of(Lun);
	RESPONSECODE rv = IFD_SUCCESS;
	if (!s || !Length || !Value)
		return IFD_COMMUNICATION_ERROR;
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		pthread_mutex_lock(&s->mu);
		if (!usable(s) || *Length < s->atrlen) {
			rv = IFD_COMMUNICATION_ERROR;
		} else {
			memcpy(Value, s->atr, s->atrlen);
			*Length = s->atrlen;
		}
		pthread_mutex_unlock(&s->mu);
		break;
	case TAG_IFD_SLOTS_NUMBER:
		rv = put_byte(Length, Value, (UCHAR)readers[(Lun >> 16) & 0xFFFF].nslots);
		break;
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		rv = put_byte(Length, Value, MAX_READERS);
		break;
	case TAG_IFD_THREAD_SAFE:
	case TAG_IFD_SLOT_THREAD_SAFE:
		rv = put_byte(Length, Value, 1);
		break;
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		rv = put_byte(Length, Value, 0); /* stopped by stop_polling */
		break;
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT:
		rv = put_fn(Length, Value, (void *)poll_slot);
		break;
	case TAG_IFD_STOP_POLLING_THREAD:
		rv = put_fn(Length, Value, (void *)stop_polling);
		break;
	default:
		rv = IFD_ERROR_TAG;
	}
	if (rv != IFD_SUCCESS)
		*Length = 0;
	return rv;
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	(void)Lun; (void)Tag; (void)Length; (void)Value;
	return IFD_NOT_SUPPORTED;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags,
		UCHAR PTS1, UCHAR PTS2, UCHAR PTS3)
{
	(void)Lun; (void)Protocol; (void)Flags; (void)PTS1; (void)PTS2; (void)PTS3;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
		PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	(void)Lun; (void)dwControlCode; (void)TxBuffer; (void)TxLength; (void)RxBuffer; (void)RxLength;
	if (pdwBytesReturned)
		*pdwBytesReturned = 0;
	return IFD_ERROR_NOT_SUPPORTED;
}
