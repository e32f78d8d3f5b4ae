// placeholder so the support library has a source until helpers land
namespace sb::test { int support_placeholder = 0; }
