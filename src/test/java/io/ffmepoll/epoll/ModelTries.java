package io.ffmepoll.epoll;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Multiplies the tries of a model-based property by the system property
 * {@code ffmepoll.model.scale} (default 1), so that a long run is one command line:
 * {@code mvn -B test -Dtest='*ModelTest' -Dffmepoll.model.scale=50}. The tries in the
 * annotations are sized for the CI build on a 2-core machine.
 */
public final class ModelTries implements AroundPropertyHook {

    /** The system property holding the multiplier. */
    public static final String SCALE = "ffmepoll.model.scale";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        int scale = Math.max(1, Integer.getInteger(SCALE, 1));
        context.attributes().tries().ifPresent(t -> context.attributes().setTries(t * scale));
        return property.execute();
    }
}
