package io.sluice.core;

/**
 * Makes exporters. One exporter instance serves every pipeline that names it, whatever their
 * signals: a {@code file} exporter in the traces, metrics and logs pipelines writes one file.
 */
public interface ExporterFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  Exporter create(ComponentContext ctx, C config);

  @Override
  default ComponentKind kind() {
    return ComponentKind.EXPORTER;
  }
}
