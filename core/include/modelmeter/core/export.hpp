// Symbol visibility for libmodelmeter-core (built with hidden visibility by default).
#pragma once

#define MM_CORE_API __attribute__((visibility("default")))
