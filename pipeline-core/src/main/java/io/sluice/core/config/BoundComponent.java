package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentId;

/**
 * A component defined in the config: its id, the factory of its type and its validated config.
 * The config is an instance of {@code factory.configClass()}; pass it to the factory with
 * {@code factory.configClass().cast(config)} inside a method generic in the config type.
 *
 * @param <F> the factory interface of the component's kind ({@code ReceiverFactory<?>}, ...)
 */
public record BoundComponent<F extends ComponentFactory<?>>(ComponentId id, F factory, ComponentConfig config) {}
