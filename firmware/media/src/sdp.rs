//! SDP (RFC 4566) parsing and building, and offer/answer (RFC 3264) for G.711 and telephone-event.
