// Prints Bazel's own host-detection table, one "<os> <constraint>" line per OS it knows:
// the constraint value that @local_config_platform gives a host of that OS. It calls the
// function Bazel itself uses (LocalConfigPlatformFunction.osToConstraint) from the running
// Bazel's server jar, so the table cannot drift from the Bazel that builds the project.
// Run: java -cp <install_base>/A-server.jar BazelHostOs.java
import java.lang.reflect.Method;

public class BazelHostOs {
  public static void main(String[] args) throws Exception {
    Class<?> os = Class.forName("com.google.devtools.build.lib.util.OS");
    Method osToConstraint =
        Class.forName("com.google.devtools.build.lib.bazel.repository.LocalConfigPlatformFunction")
            .getDeclaredMethod("osToConstraint", os);
    osToConstraint.setAccessible(true);
    for (Object value : os.getEnumConstants()) {
      Object constraint = osToConstraint.invoke(null, value);
      if (constraint != null) System.out.println(value + " " + constraint);
    }
  }
}
