#include "learner/ddpg.h"
