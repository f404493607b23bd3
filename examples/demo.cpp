// Placeholder demo: shows the connection working (replaced by the job demo).
#include <iostream>

#include "resque/connection.hpp"
#include "resque/error.hpp"

int main() {
  try {
    resque::Connection c(resque::options_from_env());
    std::cout << "PING -> " << c.command({"PING"}).str() << "\n";
  } catch (const resque::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
