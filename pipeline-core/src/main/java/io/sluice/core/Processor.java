package io.sluice.core;

/** A consumer that shapes batches and hands them to the next consumer of its pipeline. */
public interface Processor extends Component, Consumer {}
