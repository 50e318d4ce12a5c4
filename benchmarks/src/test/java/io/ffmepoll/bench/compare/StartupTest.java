package io.ffmepoll.bench.compare;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The startup scenario's class count, read from a real -Xlog:class+load file of this JVM's format. */
class StartupTest {

    @Test
    void classLogCountsEveryClassAndTellsHiddenAndJfrOnesApart(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("classes.log");
        Files.write(log, List.of(
                "[0.010s][info][class,load] java.lang.Object source: shared objects file",
                "[0.311s][info][class,load] io.ffmepoll.bench.ffm.FfmServer source: file:/x/classes/",
                "[0.400s][info][class,load] java.lang.invoke.LambdaForm$DMH/0x0000000084043400 source: __JVM_LookupDefineClass__",
                "[0.401s][info][class,load] io.ffmepoll.reactor.EventLoop$$Lambda/0x0000000084045830 source: io.ffmepoll.reactor.EventLoop",
                "[2.314s][info][class,load] jdk.jfr.Event source: jrt:/jdk.jfr",
                "[2.315s][info][class,load] jdk.jfr.internal.JVM source: jrt:/jdk.jfr",
                "[2.316s][warning][os] not a class line"));
        assertEquals(new Startup.Classes("ffm", 1, 6, 2, 2), Startup.count("ffm", 1, log));
    }
}
