package io.ccotel.gateway.core.otlp;

import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the items of a batch (metrics, log records, spans) group into OTLP's resource and scope
 * messages: consecutive items with an equal resource share a {@code Resource*} message, and within
 * it consecutive items with an equal scope share a {@code Scope*} message. Identity is checked
 * first: the items of one decoded request share their resource and scope instances.
 */
final class Runs {
  /** The item continues the current scope group. */
  static final byte SAME = 0;
  /** The item starts a new scope group in the current resource group. */
  static final byte NEW_SCOPE = 1;
  /** The item starts a new resource group (and so a new scope group). */
  static final byte NEW_RESOURCE = 2;

  private Runs() {}

  /** For each item, {@link #SAME}, {@link #NEW_SCOPE} or {@link #NEW_RESOURCE}. */
  static <T> byte[] marks(List<T> items, Function<T, Resource> resourceOf, Function<T, Scope> scopeOf) {
    byte[] marks = new byte[items.size()];
    Resource curResource = null;
    Scope curScope = null;
    for (int i = 0; i < marks.length; i++) {
      T item = items.get(i);
      Resource r = resourceOf.apply(item);
      Scope s = scopeOf.apply(item);
      if (i == 0 || !same(curResource, r)) {
        marks[i] = NEW_RESOURCE;
        curResource = r;
        curScope = s;
      } else if (!same(curScope, s)) {
        marks[i] = NEW_SCOPE;
        curScope = s;
      }
    }
    return marks;
  }

  private static boolean same(Object current, Object next) {
    return current == next || Objects.equals(current, next);
  }
}
