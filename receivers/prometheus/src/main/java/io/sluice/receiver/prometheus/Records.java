package io.sluice.receiver.prometheus;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Map;

/** Copies of config records with some components changed, for records too wide for withers. */
final class Records {
  private Records() {}

  /**
   * A copy of {@code record} with the components named in {@code changes} (by their Java names)
   * set to the given values, made through the canonical constructor.
   */
  @SuppressWarnings("unchecked")
  static <R extends Record> R with(R record, Map<String, ?> changes) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        String name = components[i].getName();
        values[i] = changes.containsKey(name) ? changes.get(name) : components[i].getAccessor().invoke(record);
      }
      Constructor<?> canonical = record.getClass().getDeclaredConstructor(types);
      return (R) canonical.newInstance(values);
    } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot copy " + record.getClass().getSimpleName(), e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("cannot copy " + record.getClass().getSimpleName(), e.getCause());
    }
  }
}
