package io.sluice.core;

/**
 * One thing wrong with a component's config.
 *
 * @param path the key path relative to the component, dot-separated ({@code sending_queue.queue_size});
 *     empty for the component as a whole
 * @param message what is wrong and what would be valid, quoting the value
 */
public record ConfigProblem(String path, String message) {}
