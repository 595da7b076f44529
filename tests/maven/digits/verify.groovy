// Both builds are in build.log: the first compiled the model, the second found it up to date.
def runs = new File(basedir, 'build.log').text.split(/\[INFO\] Scanning for projects/)
assert runs.size() == 3
def (first, second) = [runs[1], runs[2]]
assert first.contains('kiln: compiling digits.onnx')
assert second.contains('kiln: digits.onnx is up to date')
assert !second.contains('kiln: compiling')
[first, second].each { assert it.contains('Tests run: 3, Failures: 0, Errors: 0, Skipped: 0') }
def jar = new java.util.jar.JarFile(new File(basedir, 'target/digits-app-1.0.jar'))
assert jar.getEntry('com/example/digits/DigitsModel.class') != null
assert jar.getEntry('com/example/digits/digits.so') != null
jar.close()
assert new File(basedir, 'target/kiln/digits/kiln.sha256').text.trim() ==~ /[0-9a-f]{64}/
