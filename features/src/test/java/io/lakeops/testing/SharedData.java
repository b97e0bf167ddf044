package io.lakeops.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that reads the real data sets in {@code ../shared/data}. Tagged {@code shared-data};
 * runs when that folder exists (CI has it) and is skipped with a message otherwise.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("shared-data")
@ExtendWith(SharedDataCondition.class)
public @interface SharedData {}
