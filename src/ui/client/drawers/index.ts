/** Every drawer kind. A new kind is a file that calls defineDrawer(), imported here. */
import "./source";
import "./subscriber";
import "./subscription";
import "./event";
import "./delivery";
import "./notification";
import "./sync";
import "./archive";
