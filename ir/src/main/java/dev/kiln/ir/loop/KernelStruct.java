package dev.kiln.ir.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A runtime-c kernel's parameter struct, declared once on the Java side: its C type name and its
 * fields in C order, each a 4-byte {@code int32_t} or {@code float} (nested structs such as {@code
 * kiln_epilogue_t} flattened, their fields named {@code epilogue.activation}, ...). Lowering builds
 * call arguments through {@link #builder}, which checks that every field is given once with its
 * type, so the order lives here and nowhere else; a test compiles {@code offsetof} assertions
 * generated from these declarations against {@code kiln/kernels.h}, so a header that moves a field
 * fails the build.
 */
public record KernelStruct(String cName, List<Field> fields) {
  /** One field: its C member designator and its type ({@code I32} or {@code F32}). */
  public record Field(String name, Scalar type) {
    public Field {
      if (type != Scalar.I32 && type != Scalar.F32) {
        throw new IllegalArgumentException("kernel struct field " + name + " of type " + type);
      }
    }
  }

  public KernelStruct {
    fields = List.copyOf(fields);
  }

  /** The fields of {@code kiln_epilogue_t} under the member {@code prefix}. */
  static List<Field> epilogue(String prefix) {
    return List.of(
      new Field(prefix + ".activation", Scalar.I32),
      new Field(prefix + ".residual_after_activation", Scalar.I32),
      new Field(prefix + ".alpha", Scalar.F32),
      new Field(prefix + ".min", Scalar.F32),
      new Field(prefix + ".max", Scalar.F32)
    );
  }

  /** {@code int32_t} fields named {@code names}, in order. */
  static List<Field> ints(String... names) {
    List<Field> f = new ArrayList<>();
    for (String n : names) {
      f.add(new Field(n, Scalar.I32));
    }
    return f;
  }

  /** A builder of this struct's argument. */
  public Builder builder() {
    return new Builder(this);
  }

  /** Collects field values by name; {@link #build} puts them in the declared order. */
  public static final class Builder {

    private final KernelStruct struct;
    private final Map<String, Expr> values = new LinkedHashMap<>();

    private Builder(KernelStruct struct) {
      this.struct = struct;
    }

    /** Sets field {@code name} to {@code value} (of the field's type). */
    public Builder set(String name, Expr value) {
      Field f = struct
        .fields()
        .stream()
        .filter(x -> x.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(struct.cName() + " has no field " + name));
      if (value.type() != f.type()) {
        throw new IllegalStateException(
          struct.cName() + "." + name + " is " + f.type() + ", given " + value.type()
        );
      }
      if (values.put(name, value) != null) {
        throw new IllegalStateException(struct.cName() + "." + name + " set twice");
      }
      return this;
    }

    /** Sets an {@code int32_t} field. */
    public Builder i32(String name, long value) {
      return set(name, Ex.ci(Scalar.I32, value));
    }

    /** Sets a {@code float} field. */
    public Builder f32(String name, double value) {
      return set(name, Ex.c(Scalar.F32, value));
    }

    /** Sets consecutive {@code int32_t} fields from {@code first} on to {@code values}. */
    public Builder i32s(String first, long... values) {
      int at = indexOf(first);
      for (int i = 0; i < values.length; i++) {
        i32(struct.fields().get(at + i).name(), values[i]);
      }
      return this;
    }

    /** Sets the {@code kiln_epilogue_t} member {@code prefix} from its five values in order. */
    public Builder epilogue(String prefix, List<Expr> fields) {
      List<Field> decl = KernelStruct.epilogue(prefix);
      if (fields.size() != decl.size()) {
        throw new IllegalStateException("an epilogue has " + decl.size() + " fields");
      }
      for (int i = 0; i < decl.size(); i++) {
        set(decl.get(i).name(), fields.get(i));
      }
      return this;
    }

    private int indexOf(String name) {
      for (int i = 0; i < struct.fields().size(); i++) {
        if (struct.fields().get(i).name().equals(name)) {
          return i;
        }
      }
      throw new IllegalStateException(struct.cName() + " has no field " + name);
    }

    /** The argument, fields in declared order; every field must have been set. */
    public Stmt.Struct build() {
      List<Expr> out = new ArrayList<>();
      for (Field f : struct.fields()) {
        Expr v = values.get(f.name());
        if (v == null) {
          throw new IllegalStateException(struct.cName() + "." + f.name() + " not set");
        }
        out.add(v);
      }
      return new Stmt.Struct(out);
    }
  }
}
