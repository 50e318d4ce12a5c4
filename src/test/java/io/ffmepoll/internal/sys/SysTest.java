package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.Linux;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sys builds its handles from function names and the generated layouts, grouped by shape: the
 * generated bindings stay the source of truth for every signature and symbol.
 */
class SysTest {

    /** Every handle Sys can make, as (holder, C function name, handle). */
    private record Made(Class<?> holder, String function, FunctionDescriptor shape, MethodHandle handle) {}

    private static List<Made> everyHandle() throws Exception {
        List<Made> made = new ArrayList<>();
        for (Class<?> holder : Sys.HOLDERS) {
            Field shapeField = holder.getDeclaredField("SHAPE");
            shapeField.setAccessible(true);
            FunctionDescriptor shape = (FunctionDescriptor) shapeField.get(null);
            for (Field f : holder.getDeclaredFields()) {
                if (f.getType() != MethodHandle.class || !Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                made.add(new Made(holder, f.getName().toLowerCase(Locale.ROOT), shape, (MethodHandle) f.get(null)));
            }
        }
        return made;
    }

    @Test
    void everyShapeIsTheGeneratedDescriptorOfEachFunctionItHolds() throws Exception {
        List<Made> made = everyHandle();
        assertTrue(made.size() >= 32, "handles found: " + made.size());
        for (Made m : made) {
            FunctionDescriptor generated = generatedDescriptor(m);
            assertEquals(generated, m.shape(), m.holder().getSimpleName() + " holds " + m.function());
            if (m.handle() == null) continue;   // epoll_pwait2 on a C library without it
            MethodType call = generated.toMethodType();
            if (!m.function().equals("strerror")) call = call.insertParameterTypes(0, MemorySegment.class);  // errno capture
            assertEquals(call, m.handle().type(), m.function());
            MemorySegment address = generatedAddress(m.function());
            assertEquals(address, Linker.nativeLinker().defaultLookup().find(m.function()).orElseThrow(),
                    m.function() + ": the lookup Sys uses finds another symbol than jextract's");
        }
    }

    /** jextract's descriptor of the function; a variadic one's from its invoker, specialized
     *  with the holder's variadic arguments. */
    private static FunctionDescriptor generatedDescriptor(Made m) throws Exception {
        Integer firstVariadic = firstVariadic(m.holder());
        if (firstVariadic == null) {
            return (FunctionDescriptor) Linux.class.getMethod(m.function() + "$descriptor").invoke(null);
        }
        List<MemoryLayout> args = m.shape().argumentLayouts();
        MemoryLayout[] variadic = args.subList(firstVariadic, args.size()).toArray(MemoryLayout[]::new);
        Object invoker = variadicClass(m.function()).getMethod("makeInvoker", MemoryLayout[].class).invoke(null, (Object) variadic);
        return (FunctionDescriptor) invoker.getClass().getMethod("descriptor").invoke(invoker);
    }

    private static MemorySegment generatedAddress(String function) throws Exception {
        try {
            return (MemorySegment) Linux.class.getMethod(function + "$address").invoke(null);
        } catch (NoSuchMethodException variadic) {
            return (MemorySegment) variadicClass(function).getMethod("address").invoke(null);
        }
    }

    private static Class<?> variadicClass(String function) throws ClassNotFoundException {
        return Class.forName(Linux.class.getName() + "$" + function);
    }

    /** The holder's FIRST_VARIADIC, or null for a holder of plain functions. */
    private static Integer firstVariadic(Class<?> holder) throws IllegalAccessException {
        try {
            Field f = holder.getDeclaredField("FIRST_VARIADIC");
            f.setAccessible(true);
            return f.getInt(null);
        } catch (NoSuchFieldException plain) {
            return null;
        }
    }

    /** One holder per shape: two holders of one shape would make its class twice. */
    @Test
    void eachShapeHasOneHolder() throws Exception {
        TreeSet<String> shapes = new TreeSet<>();
        for (Class<?> holder : Sys.HOLDERS) {
            Field f = holder.getDeclaredField("SHAPE");
            f.setAccessible(true);
            String shape = f.get(null) + (firstVariadic(holder) == null ? "" : " variadic from " + firstVariadic(holder));
            assertTrue(shapes.add(shape), "two holders of " + shape);
        }
    }

    /** Every nested holder class is in HOLDERS, so it is loaded with Sys, while descriptors are free. */
    @Test
    void everyHolderIsPreloaded() {
        TreeSet<String> nested = new TreeSet<>(), listed = new TreeSet<>();
        for (Class<?> c : Sys.class.getDeclaredClasses()) nested.add(c.getSimpleName());
        for (Class<?> c : Sys.HOLDERS) listed.add(c.getSimpleName());
        assertEquals(nested, listed);
    }
}
