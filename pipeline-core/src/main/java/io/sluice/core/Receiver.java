package io.sluice.core;

/** Takes telemetry in from the outside (listeners, scrapers, tailers) and pushes batches on. */
public interface Receiver extends Component {}
