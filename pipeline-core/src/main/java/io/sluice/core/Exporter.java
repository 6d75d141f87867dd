package io.sluice.core;

/** The end of a pipeline: a consumer that sends batches of any signal it was configured for out. */
public interface Exporter extends Component, Consumer {}
