/*
 * demux.c - the engine's multiplexed stream, decoded incrementally.
 *
 * A frame is 8 header bytes and a payload.  Only the header is buffered
 * across chunks; payload bytes are handed on as they arrive, so a frame
 * of any size costs no memory and a chunk may end anywhere, even inside
 * a header.
 */
#include <string.h>

#include "backend-docker/internal.h"

void docker_demux_init(struct docker_demux *d)
{
	memset(d, 0, sizeof *d);
}

void docker_demux_feed(struct docker_demux *d, const char *data, size_t len, docker_demux_fn *fn, void *arg)
{
	while (len > 0) {
		if (d->left == 0) {
			size_t take = sizeof d->head - d->have;
			if (take > len)
				take = len;
			memcpy(d->head + d->have, data, take);
			d->have += take, data += take, len -= take;
			if (d->have < sizeof d->head)
				return;
			d->have = 0;
			d->stream = d->head[0];
			d->left = (uint32_t)d->head[4] << 24 | (uint32_t)d->head[5] << 16 |
				  (uint32_t)d->head[6] << 8 | d->head[7];
			continue;
		}
		size_t take = d->left < len ? d->left : len;
		fn(arg, d->stream, data, take);
		d->left -= (uint32_t)take, data += take, len -= take;
	}
}
