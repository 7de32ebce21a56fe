package io.ccotel.gateway.core.durable;

/**
 * One record read from a {@link DurableLog}: its position and its payload (the bytes given to
 * {@link DurableLog#append}). The payload array belongs to the caller.
 */
public record LogEntry(long position, byte[] payload) {}
