// Package patroni speaks to Patroni's REST API and decides, from its
// dynamic configuration, whether Patroni would drop a slot. Patroni drops
// every inactive slot that neither its permanent slots nor its
// ignore_slots name whenever it re-reads the slot list (its start, a
// PostgreSQL restart, promotion, demotion, resume); the Keeper adds and
// removes slotkeeper's own ignore_slots entries and never touches others.
package patroni
