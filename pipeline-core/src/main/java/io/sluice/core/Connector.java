package io.sluice.core;

/** The exporter of one pipeline that is the receiver of another (spans in, metrics out). */
public interface Connector extends Component, Consumer {}
