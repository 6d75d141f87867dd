package io.sluice.core;

/** A component outside the data path (health check). */
public interface Extension extends Component {}
